/*
 * Sealed alert bodies: the sender's browser encrypts, members' browsers
 * decrypt, and the appliance only ever holds ciphertext.
 * AES-256-GCM under a key derived from the agreed password with
 * PBKDF2-HMAC-SHA-256 (WebCrypto); binary parts are base64. The ciphertext
 * is bound to its organisation and the alert's title (GCM additional
 * data), so a body copied into another alert does not open there.
 */
export const SCHEME = "PBKDF2-SHA256/AES-256-GCM/bound-v1";
/** Alerts sealed before bodies were bound still open. */
const UNBOUND = "PBKDF2-SHA256/AES-256-GCM";

/** What a body is bound to: `{ org, title }`. */
function boundTo(context) {
  return new TextEncoder().encode(`tocsin sealed alert v1\n${context.org}\n${context.title}`);
}
const ITERATIONS = 600000;

function toBase64(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text) {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

async function keyFor(password, salt, iterations, usage) {
  const material = await crypto.subtle.importKey("raw", new TextEncoder().encode(password), "PBKDF2", false, ["deriveKey"]);
  return crypto.subtle.deriveKey(
    { name: "PBKDF2", hash: "SHA-256", salt, iterations },
    material,
    { name: "AES-GCM", length: 256 },
    false,
    [usage],
  );
}

/** Encrypts `plaintext` under `password` for the alert `context` ({ org, title }); resolves to the `sealed` object the API takes. */
export async function seal(plaintext, password, context) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const key = await keyFor(password, salt, ITERATIONS, "encrypt");
  const ciphertext = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: boundTo(context) }, key, new TextEncoder().encode(plaintext));
  return { scheme: SCHEME, iterations: ITERATIONS, salt: toBase64(salt), iv: toBase64(iv), ciphertext: toBase64(ciphertext) };
}

/** Decrypts the sealed body of the alert `context`; rejects when the password is wrong, the data was changed or it belongs to another alert. */
export async function open(sealed, password, context) {
  if (!sealed || (sealed.scheme !== SCHEME && sealed.scheme !== UNBOUND)) throw new Error("unknown scheme");
  const key = await keyFor(password, fromBase64(sealed.salt), sealed.iterations, "decrypt");
  const params = { name: "AES-GCM", iv: fromBase64(sealed.iv) };
  if (sealed.scheme === SCHEME) params.additionalData = boundTo(context);
  const plain = await crypto.subtle.decrypt(params, key, fromBase64(sealed.ciphertext));
  return new TextDecoder().decode(plain);
}
