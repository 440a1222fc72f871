/** What `promise` rejected with (its name and message); throws when it fulfilled, so a test cannot pass on a success. */
export async function failure (promise: Promise<unknown>): Promise<{ name: string, message: string }> {
  try {
    await promise
  } catch (err: any) {
    return { name: err.name, message: err.message }
  }
  throw new Error('expected a failure')
}
