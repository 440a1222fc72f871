/** A receipt failed a check: a bad signature, a body that does not decode, or a field that does not match the call. */
export class InvalidReceiptError extends Error {
  static name = 'InvalidReceiptError'
  constructor (message = 'Invalid receipt') {
    super(message)
    this.name = 'InvalidReceiptError'
  }
}

/**
 * The receipt names an executor whose peer id does not carry its public key (an RSA id is a hash
 * of its key): nobody can check the signature without fetching the key, so it is not taken.
 */
export class UnverifiableReceiptError extends Error {
  static name = 'UnverifiableReceiptError'
  constructor (message = 'The receipt cannot be verified') {
    super(message)
    this.name = 'UnverifiableReceiptError'
  }
}
