/** `faasmesh new` would write into a directory that already holds something (or into a file). */
export class DirectoryNotEmptyError extends Error {
  static name = 'DirectoryNotEmptyError'
  constructor (message = 'The target directory is not empty') {
    super(message)
    this.name = 'DirectoryNotEmptyError'
  }
}

/** `faasmesh build` was pointed at a directory with no function to build. */
export class NotAFunctionProjectError extends Error {
  static name = 'NotAFunctionProjectError'
  constructor (message = 'Not a function project') {
    super(message)
    this.name = 'NotAFunctionProjectError'
  }
}

/** AssemblyScript refused the source; its diagnostics went to standard error. */
export class CompileError extends Error {
  static name = 'CompileError'
  constructor (message = 'The function did not compile') {
    super(message)
    this.name = 'CompileError'
  }
}
