import { type Env, type Transport } from "../DohServer.js";
/** The most bytes of a request line plus its header fields (the blank line included). */
export declare const H1_MAX_HEAD = 16384;
/** The most header fields in one request. */
export declare const H1_MAX_HEADERS = 64;
/** The most requests of one connection waiting for their responses; reading pauses beyond. */
export declare const H1_MAX_IN_FLIGHT = 128;
/** DNS over HTTPS/1.1 on its own parser: see the module comment. */
export declare const makeFastH1: (env: Env) => Transport;
