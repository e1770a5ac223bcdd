import type { Env, Transport } from "../DohServer.js";
import { type StaticResponse } from "./Request.js";
/** SETTINGS_INITIAL_WINDOW_SIZE we advertise: room for a whole POST body (and the byte that makes it 413). */
export declare const H2_STREAM_WINDOW = 131072;
/** Our connection receive window (raised from 65535 by a WINDOW_UPDATE right after our SETTINGS). */
export declare const H2_CONNECTION_WINDOW: number;
/** The most header block (compressed) one request may send across HEADERS + CONTINUATION frames. */
export declare const H2_MAX_HEADER_BLOCK = 65536;
/** 431 for a header list over `H2_MAX_HEADER_LIST_SIZE` or `H2_MAX_HEADER_PAIRS` fields. */
export declare const HeadersTooLarge: StaticResponse;
/** DNS over HTTPS/2 on its own framing and HPACK. */
export declare const makeFastH2: (env: Env) => Transport;
