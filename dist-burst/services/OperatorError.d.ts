/**
 * Errors that report an operator's mistake or the environment (a bad variable, a port in use, an
 * unreadable certificate) are printed without a stack trace: the message says everything, and a trace
 * through Effect's internals only hides it.
 */
export declare const withoutStack: <E extends Error & {
    readonly _tag: string;
}>(error: E) => void;
