/**
 * Errors that report an operator's mistake or the environment (a bad variable, a port in use, an
 * unreadable certificate) are printed without a stack trace: the message says everything, and a trace
 * through Effect's internals only hides it.
 */
export const withoutStack = (error) => {
    Object.defineProperty(error, "stack", { value: `${error._tag}: ${error.message}`, configurable: true });
};
//# sourceMappingURL=OperatorError.js.map