/** Function names (DESIGN.md section 2): lowercase, digits and '-', 1-63 characters. */
export const FUNCTION_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/

/** Modules larger than this are refused at deploy, before compiling. */
export const DEFAULT_MAX_MODULE_BYTES = 4 << 20
