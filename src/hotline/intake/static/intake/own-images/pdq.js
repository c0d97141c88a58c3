/* PDQ perceptual image hash in the browser: a port of Meta's reference algorithm (ThreatExchange `pdq`,
   C++ `pdqhashing.cpp` + `downscaling.cpp`) that gives the same 256-bit hash and quality score, bit for bit,
   as the Python `pdqhash` package does for the same RGB pixels.

   The steps, as the reference defines them:
     1. Luma: Y = 0.299 R + 0.587 G + 0.114 B per pixel, as a 32-bit float.
     2. Blur: a "tent" filter made of two passes of Jarosz box filters (1-D box along the rows, then along
        the columns, twice), each box about 1/128 of the image's width (rows) or height (columns).
     3. Decimate: sample the blurred image at the centres of a 64 x 64 grid. (An image that is already
        64 x 64 skips steps 2-3, as in the reference.)
     4. Quality: count significant gradients between neighbouring cells of the 64 x 64 image (0-100).
     5. DCT: a 2-D DCT-II keeping only the 16 x 16 lowest frequencies except the DC row and column.
     6. Bits: each of the 256 coefficients gives a 1 when it is greater than their median (Torben's method).
   Images smaller than 5 pixels on a side get the all-zero hash and quality 0, like the reference.

   Exactness: the reference computes in 32-bit floats (C++ `float`, no fused multiply-add). JavaScript
   numbers are 64-bit, so every float operation here is rounded back with Math.fround (or by storing into
   a Float32Array). For +, -, * and / of two float32 values, computing in float64 and rounding once gives
   the float32 result exactly, so the sums, products and comparisons follow the reference's own. Where the
   reference computes in double (the DCT matrix, the decimation indices) this port does too.

   Luma is taken as the `pdqhash` Python package computes it (numpy float64, then rounded to float32) so
   that hashes agree with what partner tools built on it (ThreatExchange's Python library, HMA) compute.

   This module has no DOM, network or storage code: it takes pixels and returns numbers. */

/** Images smaller than this on either side are not hashed (zero hash, quality 0), as in the reference. */
export const PDQ_MIN_DIMENSION = 5;

const DOWNSAMPLED = 64; // side of the decimated image
const DCT_SIDE = 16; // side of the kept block of DCT coefficients
const JAROSZ_PASSES = 2; // two box passes per axis make a tent filter

const f32 = Math.fround;

/* The 16 x 64 DCT-II matrix (rows 1..16 of the 64-point transform; row 0, the DC term, is left out).
   As in the reference: scale sqrt(2/64) as a float, times a double cosine, rounded to float. */
const DCT_MATRIX = (() => {
  const matrix = new Float32Array(DCT_SIDE * DOWNSAMPLED);
  const scale = f32(Math.sqrt(2.0 / DOWNSAMPLED));
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DOWNSAMPLED; j++) {
      matrix[i * DOWNSAMPLED + j] = scale * Math.cos((Math.PI / 2.0 / DOWNSAMPLED) * (i + 1) * (2 * j + 1));
    }
  }
  return matrix;
})();

/**
 * Step 1. Luma of an RGBA (or RGB) pixel buffer, row-major, as pdqhash computes it.
 * Alpha is ignored: the colour channels are used as stored (like Pillow's `convert("RGB")`).
 * @param {Uint8Array|Uint8ClampedArray} pixels  width * height * channels bytes
 * @param {number} width
 * @param {number} height
 * @param {number} [channels=4]  3 for RGB, 4 for RGBA
 * @returns {Float32Array} width * height luma values
 */
export function lumaFromPixels(pixels, width, height, channels = 4) {
  const count = width * height;
  if (pixels.length < count * channels) {
    throw new RangeError("pdq: the pixel buffer is smaller than width * height * channels");
  }
  const luma = new Float32Array(count);
  for (let p = 0, o = 0; p < count; p++, o += channels) {
    // Left to right in float64, then one rounding to float32: numpy's order and precision.
    luma[p] = pixels[o] * 0.299 + pixels[o + 1] * 0.587 + pixels[o + 2] * 0.114;
  }
  return luma;
}

/**
 * Step 2, one axis: the reference's 1-D box filter, run along every row. The running sum and its order of
 * additions and subtractions are the reference's, so the rounding is too.
 */
function boxAlongRows(input, output, rows, cols, windowSize) {
  const half = ((windowSize + 2) / 2) | 0;
  const phase1 = half - 1; // accumulate only
  const phase2 = windowSize - half + 1; // write while the window grows
  const phase3 = cols - windowSize; // full window: add on the right, subtract on the left
  const phase4 = half - 1; // write while the window shrinks
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let left = base;
    let right = base;
    let out = base;
    let sum = 0;
    let size = 0;
    for (let k = 0; k < phase1; k++) {
      sum = f32(sum + input[right++]);
      size++;
    }
    for (let k = 0; k < phase2; k++) {
      sum = f32(sum + input[right++]);
      size++;
      output[out++] = sum / size;
    }
    for (let k = 0; k < phase3; k++) {
      sum = f32(sum + input[right++]);
      sum = f32(sum - input[left++]);
      output[out++] = sum / size;
    }
    for (let k = 0; k < phase4; k++) {
      sum = f32(sum - input[left++]);
      size--;
      output[out++] = sum / size;
    }
  }
}

/**
 * Step 2, other axis: the same box filter down every column. The reference walks one column at a time;
 * this walks the rows in memory order and keeps one running sum per column, which does the very same
 * float operations per column in the same order (so the same results) while reading memory sequentially.
 */
function boxAlongCols(input, output, rows, cols, windowSize) {
  const half = ((windowSize + 2) / 2) | 0;
  const phase1 = half - 1;
  const phase2 = windowSize - half + 1;
  const phase3 = rows - windowSize;
  const phase4 = half - 1;
  const sums = new Float32Array(cols); // a Float32Array store rounds to float32, like the reference's `float sum`
  let right = 0; // row index of the next row to add
  let left = 0; // row index of the next row to subtract
  let out = 0; // row index of the next row to write
  let size = 0;
  const add = () => {
    const base = right++ * cols;
    for (let c = 0; c < cols; c++) sums[c] = sums[c] + input[base + c];
  };
  const subtract = () => {
    const base = left++ * cols;
    for (let c = 0; c < cols; c++) sums[c] = sums[c] - input[base + c];
  };
  const write = () => {
    const base = out++ * cols;
    for (let c = 0; c < cols; c++) output[base + c] = sums[c] / size;
  };
  for (let k = 0; k < phase1; k++) {
    add();
    size++;
  }
  for (let k = 0; k < phase2; k++) {
    add();
    size++;
    write();
  }
  for (let k = 0; k < phase3; k++) {
    add();
    subtract();
    write();
  }
  for (let k = 0; k < phase4; k++) {
    subtract();
    size--;
    write();
  }
}

/** Step 2: the box size for one axis, half of one 64th of it, rounded up (two passes make a full 64th). */
export function jaroszWindowSize(oldDimension, newDimension = DOWNSAMPLED) {
  return Math.floor((oldDimension + 2 * newDimension - 1) / (2 * newDimension));
}

/** Steps 2-3: blur the luma in place (`scratch` is a buffer of the same size) and sample a 64 x 64 grid. */
function downsample(luma, scratch, rows, cols) {
  const out = new Float32Array(DOWNSAMPLED * DOWNSAMPLED);
  if (rows === DOWNSAMPLED && cols === DOWNSAMPLED) {
    out.set(luma.subarray(0, out.length)); // already the size PDQ works at: no blur, as in the reference
    return out;
  }
  const windowAlongRows = jaroszWindowSize(cols);
  const windowAlongCols = jaroszWindowSize(rows);
  for (let pass = 0; pass < JAROSZ_PASSES; pass++) {
    boxAlongRows(luma, scratch, rows, cols, windowAlongRows);
    boxAlongCols(scratch, luma, rows, cols, windowAlongCols);
  }
  // Decimation samples the centre of each of the 64 x 64 cells (computed in double, truncated).
  for (let i = 0; i < DOWNSAMPLED; i++) {
    const row = Math.trunc(((i + 0.5) * rows) / DOWNSAMPLED);
    for (let j = 0; j < DOWNSAMPLED; j++) {
      const col = Math.trunc(((j + 0.5) * cols) / DOWNSAMPLED);
      out[i * DOWNSAMPLED + j] = luma[row * cols + col];
    }
  }
  return out;
}

/**
 * Step 4: the reference's heuristic quality, from the gradients between vertical and horizontal
 * neighbours of the 64 x 64 image, each quantised to an integer percentage of full scale before summing
 * (so many tiny gradients do not add up to a good score).
 */
function qualityOf(image64) {
  let gradientSum = 0;
  for (let i = 0; i < DOWNSAMPLED - 1; i++) {
    for (let j = 0; j < DOWNSAMPLED; j++) {
      const d = f32(f32(f32(image64[i * DOWNSAMPLED + j] - image64[(i + 1) * DOWNSAMPLED + j]) * 100) / 255);
      gradientSum += Math.abs(Math.trunc(d));
    }
  }
  for (let i = 0; i < DOWNSAMPLED; i++) {
    for (let j = 0; j < DOWNSAMPLED - 1; j++) {
      const d = f32(f32(f32(image64[i * DOWNSAMPLED + j] - image64[i * DOWNSAMPLED + j + 1]) * 100) / 255);
      gradientSum += Math.abs(Math.trunc(d));
    }
  }
  return Math.min(Math.trunc(gradientSum / 90), 100);
}

/**
 * Step 5: B = D A Dt for the 16 x 64 matrix D, through T = D A; each dot product summed in float from
 * k = 0 to 63, in the reference's order. Returns the 16 x 16 coefficients, row-major.
 */
function dct64To16(image64) {
  const D = DCT_MATRIX;
  const T = new Float32Array(DCT_SIDE * DOWNSAMPLED);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DOWNSAMPLED; j++) {
      let sum = 0;
      for (let k = 0; k < DOWNSAMPLED; k++) {
        sum = f32(sum + f32(D[i * DOWNSAMPLED + k] * image64[k * DOWNSAMPLED + j]));
      }
      T[i * DOWNSAMPLED + j] = sum;
    }
  }
  const B = new Float32Array(DCT_SIDE * DCT_SIDE);
  for (let i = 0; i < DCT_SIDE; i++) {
    for (let j = 0; j < DCT_SIDE; j++) {
      let sum = 0;
      for (let k = 0; k < DOWNSAMPLED; k++) {
        sum = f32(sum + f32(T[i * DOWNSAMPLED + k] * D[j * DOWNSAMPLED + k]));
      }
      B[i * DCT_SIDE + j] = sum;
    }
  }
  return B;
}

/**
 * Step 6, the threshold: Torben Mogensen's median (no sorting, no copy), as the reference uses it, so
 * that ties and even counts resolve the same way.
 */
function torbenMedian(values) {
  const n = values.length;
  const halfCount = ((n + 1) / 2) | 0;
  let min = values[0];
  let max = values[0];
  for (let i = 1; i < n; i++) {
    if (values[i] < min) min = values[i];
    if (values[i] > max) max = values[i];
  }
  let less;
  let greater;
  let equal;
  let guess;
  let maxBelowGuess;
  let minAboveGuess;
  for (;;) {
    guess = f32(f32(min + max) / 2);
    less = 0;
    greater = 0;
    equal = 0;
    maxBelowGuess = min;
    minAboveGuess = max;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (v < guess) {
        less++;
        if (v > maxBelowGuess) maxBelowGuess = v;
      } else if (v > guess) {
        greater++;
        if (v < minAboveGuess) minAboveGuess = v;
      } else {
        equal++;
      }
    }
    if (less <= halfCount && greater <= halfCount) break;
    if (less > greater) max = maxBelowGuess;
    else min = minAboveGuess;
  }
  if (less >= halfCount) return maxBelowGuess;
  if (less + equal >= halfCount) return guess;
  return minAboveGuess;
}

/**
 * Step 6: bit k = i * 16 + j is set when coefficient (i, j) is above the median. Written as the reference
 * formats a hash: sixteen 16-bit words, word 15 first, each as 4 lower-case hex digits (word i holds row i,
 * column j at bit j), 64 hex digits in all.
 */
function hexFromCoefficients(coefficients) {
  const median = torbenMedian(coefficients);
  let hex = "";
  for (let i = DCT_SIDE - 1; i >= 0; i--) {
    let word = 0;
    for (let j = 0; j < DCT_SIDE; j++) {
      if (coefficients[i * DCT_SIDE + j] > median) word |= 1 << j;
    }
    hex += word.toString(16).padStart(4, "0");
  }
  return hex;
}

/**
 * Steps 2-5 on a luma buffer (which is overwritten: it is the blur's working buffer).
 * @param {Float32Array} luma  width * height values, row-major
 * @returns {{coefficients: Float32Array, quality: number}}  the 16 x 16 DCT coefficients, row-major
 *   (what pdqhash's `compute_float` returns, in reverse order), and the quality score
 */
export function pdqCoefficientsFromLuma(luma, width, height) {
  if (luma.length < width * height) {
    throw new RangeError("pdq: the luma buffer is smaller than width * height");
  }
  const scratch = width === DOWNSAMPLED && height === DOWNSAMPLED ? luma : new Float32Array(width * height);
  const image64 = downsample(luma, scratch, height, width);
  return { coefficients: dct64To16(image64), quality: qualityOf(image64) };
}

/**
 * The PDQ hash of a luma buffer (which is overwritten).
 * @returns {{hash: string, quality: number}}  64 lower-case hex digits and the quality score 0-100
 */
export function pdqFromLuma(luma, width, height) {
  if (width < PDQ_MIN_DIMENSION || height < PDQ_MIN_DIMENSION) {
    return { hash: "0".repeat(64), quality: 0 };
  }
  const { coefficients, quality } = pdqCoefficientsFromLuma(luma, width, height);
  return { hash: hexFromCoefficients(coefficients), quality };
}

/**
 * The PDQ hash of decoded pixels: what `pdqhash.compute(numpy_rgb_array)` returns, as hex.
 * @param {Uint8Array|Uint8ClampedArray} pixels  RGBA (or RGB with channels = 3), row-major, top row first
 * @param {number} width
 * @param {number} height
 * @param {number} [channels=4]
 * @returns {{hash: string, quality: number}}
 */
export function pdqFromPixels(pixels, width, height, channels = 4) {
  return pdqFromLuma(lumaFromPixels(pixels, width, height, channels), width, height);
}

/** The number of differing bits of two 64-hex-digit PDQ hashes (0-256); PDQ matches are usually <= 31. */
export function hammingDistance(hexA, hexB) {
  if (!/^[0-9a-f]{64}$/i.test(hexA) || !/^[0-9a-f]{64}$/i.test(hexB)) {
    throw new TypeError("pdq: a hash is 64 hex digits");
  }
  let distance = 0;
  for (let i = 0; i < 64; i += 8) {
    let x = (parseInt(hexA.slice(i, i + 8), 16) ^ parseInt(hexB.slice(i, i + 8), 16)) >>> 0;
    while (x) {
      x &= x - 1;
      distance++;
    }
  }
  return distance;
}
