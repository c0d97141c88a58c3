/* Hashes of the files a person picks on their own device: SHA-256 and MD5 of every file's bytes, and PDQ
   of every image the browser can decode. Everything happens in this page's memory: this module makes no
   request of any kind and writes nothing to any storage; only the hashes it returns may leave the device,
   and only if the page sends them.

   Decisions (kept in step with how partner tools hash the same file with Pillow + the pdqhash package):
   - Pixels are the decoded bytes, without colour management: createImageBitmap with
     colorSpaceConversion "none" (embedded ICC profiles and gAMA chunks are ignored, as Pillow ignores them).
   - EXIF orientation is applied ("from-image"): the image is hashed the way the person sees it, upright,
     which is how platforms usually re-encode a shared copy. The Python equivalent is
     `ImageOps.exif_transpose(image).convert("RGB")` before `pdqhash.compute`.
   - Alpha is ignored, not composited: the colour stored under a transparent pixel is used as it is, as
     Pillow's `convert("RGB")` does. That needs unpremultiplied pixels, which a 2-D canvas cannot give
     (it stores premultiplied colour), so the pixels are read through WebGL (exact). Where WebGL is
     missing or the image is larger than its largest texture, a 2-D canvas is used: exact for an opaque
     image; an image with any translucent pixel then gets no PDQ (pdqSkipped "needs-webgl") rather than a
     hash that no other tool would compute for it.
   - No resizing beforehand: PDQ's own blur and decimation work on the full-size image, like pdqhash.
   - Videos and other files get SHA-256 and MD5 only (pdq is null). */

import { pdqFromPixels } from "./pdq.js";
import "./md5.js"; // spark-md5, vendored unmodified: defines SparkMD5 on the global object

const SparkMD5 = globalThis.SparkMD5;

const MD5_CHUNK_BYTES = 4 * 1024 * 1024; // a multiple of 64 (MD5's block), so no bytes are carried over
const DECODE_OPTIONS = Object.freeze({
  colorSpaceConversion: "none",
  premultiplyAlpha: "none",
  imageOrientation: "from-image",
});

/**
 * What this browser lacks for hashing on the device (an empty list when it has everything). SHA-256 needs
 * WebCrypto, which browsers offer only on secure pages (HTTPS, or localhost / an onion service).
 * @returns {string[]}  names of the missing features
 */
export function missingFeatures() {
  const missing = [];
  if (!globalThis.crypto || !globalThis.crypto.subtle) missing.push("crypto.subtle");
  if (typeof globalThis.createImageBitmap !== "function") missing.push("createImageBitmap");
  if (typeof Blob === "undefined" || typeof Blob.prototype.arrayBuffer !== "function") missing.push("Blob.arrayBuffer");
  if (typeof SparkMD5 === "undefined") missing.push("md5");
  return missing;
}

/**
 * @typedef {object} FileHashes
 * @property {number} index          the file's position in the list given to hashFiles
 * @property {number} size           bytes
 * @property {string} type           the MIME type the browser guessed ("" when unknown)
 * @property {string|null} sha256    64 lower-case hex digits (null when the file could not be read)
 * @property {string|null} md5       32 lower-case hex digits (null when the file could not be read)
 * @property {{hash: string, quality: number}|null} pdq  64 hex digits and the reference's quality 0-100
 *                                   (an image under 5 pixels a side gets the zero hash, quality 0)
 * @property {string|null} pdqSkipped  why pdq is null: "not-an-image", "not-decodable" or "needs-webgl"
 *                                   (translucent, and WebGL could not read it exactly)
 * @property {string|null} error     "unreadable" when the browser could not read the file's bytes
 * @property {number|null} width     of the decoded image, after EXIF orientation
 * @property {number|null} height
 * @property {string|null} pixelSource  "webgl" (exact) or "canvas" (exact for opaque pixels only)
 * @property {{read: number, sha256: number, md5: number, decode: number, pdq: number}} timings  milliseconds
 */

/**
 * Hash the picked files one after another.
 * @param {FileList|File[]} files  e.g. input.files
 * @param {object} [options]
 * @param {(event: {index: number, count: number, stage: string, fraction: number}) => void} [options.onProgress]
 *   called as each file moves through the stages "read", "sha256", "md5", "pdq", "done"; `fraction` is how
 *   far the whole list is, 0 to 1
 * @param {"auto"|"canvas"} [options.pixelReader]  "canvas" forces the 2-D canvas path (for tests)
 * @returns {Promise<FileHashes[]>}  in the order of `files`
 */
export async function hashFiles(files, { onProgress, pixelReader = "auto" } = {}) {
  const list = Array.from(files);
  const results = [];
  for (let index = 0; index < list.length; index++) {
    const report = (stage, within) => {
      if (onProgress) onProgress({ index, count: list.length, stage, fraction: (index + within) / list.length });
    };
    results.push(await hashFile(list[index], { index, report, pixelReader }));
  }
  return results;
}

async function hashFile(file, { index, report, pixelReader }) {
  const timings = { read: 0, sha256: 0, md5: 0, decode: 0, pdq: 0 };
  const result = {
    index,
    size: file.size,
    type: file.type || "",
    sha256: null,
    md5: null,
    pdq: null,
    pdqSkipped: null,
    error: null,
    width: null,
    height: null,
    pixelSource: null,
    timings,
  };
  report("read", 0);
  let bytes;
  let started = performance.now();
  try {
    bytes = new Uint8Array(await file.arrayBuffer());
  } catch {
    result.error = "unreadable";
    report("done", 1);
    return result;
  }
  timings.read = performance.now() - started;

  report("sha256", 0.1);
  started = performance.now();
  result.sha256 = toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  timings.sha256 = performance.now() - started;

  report("md5", 0.3);
  result.md5 = await md5Hex(bytes, timings, (done) => report("md5", 0.3 + 0.3 * done));

  report("pdq", 0.6);
  if (!looksLikeRasterImage(result.type)) {
    result.pdqSkipped = "not-an-image";
  } else {
    // The very bytes that were hashed are decoded, so every hash describes the same content.
    const image = await decodePixels(new Blob([bytes], { type: result.type }), pixelReader, timings);
    if (image === null) {
      result.pdqSkipped = "not-decodable";
    } else if (image.source === "canvas" && !isOpaque(image.pixels)) {
      result.pdqSkipped = "needs-webgl";
      result.width = image.width;
      result.height = image.height;
      result.pixelSource = image.source;
    } else {
      started = performance.now();
      result.pdq = pdqFromPixels(image.pixels, image.width, image.height, 4);
      timings.pdq = performance.now() - started;
      result.width = image.width;
      result.height = image.height;
      result.pixelSource = image.source;
    }
  }
  report("done", 1);
  return result;
}

/** MD5 in chunks, giving the page a chance to repaint (and show progress) between them. */
async function md5Hex(bytes, timings, onChunk) {
  const md5 = new SparkMD5.ArrayBuffer();
  for (let offset = 0; offset < bytes.length; offset += MD5_CHUNK_BYTES) {
    const started = performance.now();
    md5.append(bytes.subarray(offset, offset + MD5_CHUNK_BYTES));
    timings.md5 += performance.now() - started;
    onChunk(Math.min(1, (offset + MD5_CHUNK_BYTES) / bytes.length));
    await yieldToPage();
  }
  const started = performance.now();
  const hex = md5.end();
  timings.md5 += performance.now() - started;
  return hex;
}

function yieldToPage() {
  if (globalThis.scheduler && typeof globalThis.scheduler.yield === "function") return globalThis.scheduler.yield();
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** SVG has no pixels of its own (its rendering depends on the size asked for), so it gets no PDQ. */
function looksLikeRasterImage(type) {
  if (type === "") return true; // unknown: let the decoder decide
  return type.startsWith("image/") && type !== "image/svg+xml";
}

/** Decoded RGBA pixels, top row first, or null when the browser cannot decode the bytes as an image. */
async function decodePixels(blob, pixelReader, timings) {
  const started = performance.now();
  let bitmap;
  try {
    bitmap = await createImageBitmap(blob, DECODE_OPTIONS);
  } catch {
    return null;
  }
  try {
    const { width, height } = bitmap;
    let pixels = pixelReader === "canvas" ? null : readWithWebGL(bitmap);
    let source = "webgl";
    if (pixels === null) {
      pixels = readWithCanvas(bitmap);
      source = "canvas";
    }
    timings.decode = performance.now() - started;
    return pixels === null ? null : { pixels, width, height, source };
  } finally {
    bitmap.close();
  }
}

function makeCanvas(width, height) {
  if (typeof OffscreenCanvas === "function") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

let webgl = null; // one context for every file: browsers allow only a few at a time

function webglContext() {
  if (webgl && !webgl.isContextLost()) return webgl;
  webgl = null;
  const attributes = { alpha: true, antialias: false, depth: false, stencil: false, premultipliedAlpha: false };
  try {
    const canvas = makeCanvas(1, 1);
    webgl = canvas.getContext("webgl2", attributes) || canvas.getContext("webgl", attributes);
  } catch {
    webgl = null;
  }
  return webgl;
}

/**
 * The bitmap's bytes exactly as decoded: uploaded to a texture with no premultiplication and no colour
 * conversion, then read back from a framebuffer that has the texture attached. Null when WebGL cannot.
 */
function readWithWebGL(bitmap) {
  const gl = webglContext();
  if (gl === null) return null;
  const { width, height } = bitmap;
  if (width > gl.getParameter(gl.MAX_TEXTURE_SIZE) || height > gl.getParameter(gl.MAX_TEXTURE_SIZE)) return null;
  for (let i = 0; i < 8 && gl.getError() !== gl.NO_ERROR; i++); // forget errors left by earlier calls
  const texture = gl.createTexture();
  const framebuffer = gl.createFramebuffer();
  try {
    gl.bindTexture(gl.TEXTURE_2D, texture);
    gl.pixelStorei(gl.UNPACK_FLIP_Y_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_PREMULTIPLY_ALPHA_WEBGL, false);
    gl.pixelStorei(gl.UNPACK_COLORSPACE_CONVERSION_WEBGL, gl.NONE);
    gl.texImage2D(gl.TEXTURE_2D, 0, gl.RGBA, gl.RGBA, gl.UNSIGNED_BYTE, bitmap);
    gl.bindFramebuffer(gl.FRAMEBUFFER, framebuffer);
    gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, texture, 0);
    if (gl.checkFramebufferStatus(gl.FRAMEBUFFER) !== gl.FRAMEBUFFER_COMPLETE) return null;
    const pixels = new Uint8Array(width * height * 4);
    gl.pixelStorei(gl.PACK_ALIGNMENT, 1);
    gl.readPixels(0, 0, width, height, gl.RGBA, gl.UNSIGNED_BYTE, pixels);
    return gl.getError() === gl.NO_ERROR ? pixels : null;
  } catch {
    return null; // e.g. out of memory for a very large image: the canvas path gets a try
  } finally {
    gl.bindFramebuffer(gl.FRAMEBUFFER, null);
    gl.deleteFramebuffer(framebuffer);
    gl.deleteTexture(texture);
  }
}

/** The bitmap drawn on a 2-D canvas: exact where the image is opaque (see the module's note on alpha). */
function readWithCanvas(bitmap) {
  const { width, height } = bitmap;
  try {
    const context = makeCanvas(width, height).getContext("2d", { willReadFrequently: true });
    context.drawImage(bitmap, 0, 0);
    return context.getImageData(0, 0, width, height).data;
  } catch {
    return null;
  }
}

function isOpaque(rgba) {
  for (let i = 3; i < rgba.length; i += 4) if (rgba[i] !== 255) return false;
  return true;
}

function toHex(bytes) {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}
