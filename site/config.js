// Where the prediction function answers. `make dev` serves a generated copy pointing at the local
// function; the deploy step overwrites this file with the real Function URL (no trailing slash).
export const FUNCTION_URL = "http://127.0.0.1:8080";
