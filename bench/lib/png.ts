/**
 * A minimal RGB canvas with a 5×7 bitmap font and a PNG encoder on `node:zlib`, enough to draw bar
 * charts without a browser or a native dependency.
 */
import { deflateSync } from "node:zlib";

/** 5×7 glyphs, one string of 7 rows of 5 bits each (as hex pairs). Lower case draws as upper case. */
const GLYPHS: Record<string, string> = {
  A: "0e11111f111111", B: "1e11111e11111e", C: "0e11101010110e", D: "1e11111111111e", E: "1f10101e10101f", F: "1f10101e101010",
  G: "0e11101711110f", H: "1111111f111111", I: "0e04040404040e", J: "0702020202120c", K: "11121418141211", L: "1010101010101f",
  M: "111b1515111111", N: "11191513111111", O: "0e11111111110e", P: "1e11111e101010", Q: "0e11111115120d", R: "1e11111e141211",
  S: "0f10100e01011e", T: "1f040404040404", U: "1111111111110e", V: "11111111110a04", W: "11111115151b11", X: "11110a040a1111",
  Y: "11110a04040404", Z: "1f01020408101f",
  "0": "0e11131519110e", "1": "040c040404040e", "2": "0e11010204081f", "3": "1f02040201110e", "4": "02060a121f0202", "5": "1f101e0101110e",
  "6": "0608101e11110e", "7": "1f010204080808", "8": "0e11110e11110e", "9": "0e11110f01020c",
  " ": "00000000000000", ".": "00000000000c0c", ",": "00000000000c08", "-": "0000001f000000", "+": "0004041f040400", "/": "00010204081000",
  "(": "02040808080402", ")": "08040202020408", ":": "000c0c000c0c00", "%": "18190204081303", "<": "02040810080402", ">": "08040201020408",
  "=": "00001f001f0000", _: "0000000000001f", "|": "04040404040404", "*": "0004150e150400", "#": "0a0a1f0a1f0a0a",
};

function glyphRows(character: string): number[] {
  const code = GLYPHS[character.toUpperCase()] ?? GLYPHS["*"] ?? "";
  return Array.from({ length: 7 }, (_, row) => Number.parseInt(code.slice(row * 2, row * 2 + 2), 16) || 0);
}

export type Color = readonly [number, number, number];

/** A white RGB canvas. */
export class Canvas {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
  ) {
    this.pixels = new Uint8Array(width * height * 3).fill(255);
  }

  fillRect(x: number, y: number, width: number, height: number, color: Color): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + width));
    const y1 = Math.min(this.height, Math.round(y + height));
    for (let row = y0; row < y1; row++) {
      for (let column = x0; column < x1; column++) {
        const offset = (row * this.width + column) * 3;
        this.pixels[offset] = color[0];
        this.pixels[offset + 1] = color[1];
        this.pixels[offset + 2] = color[2];
      }
    }
  }

  /** Draws text with its top-left corner at (x, y); scale 1 is 6 px per character. Returns the width. */
  text(x: number, y: number, value: string, color: Color, scale = 1): number {
    let cursor = x;
    for (const character of value) {
      const rows = glyphRows(character);
      rows.forEach((bits, row) => {
        for (let column = 0; column < 5; column++) {
          if ((bits >> (4 - column)) & 1) this.fillRect(cursor + column * scale, y + row * scale, scale, scale, color);
        }
      });
      cursor += 6 * scale;
    }
    return cursor - x;
  }

  /** Encodes the canvas as a PNG (8-bit RGB, no interlace). */
  toPng(): Buffer {
    const raw = Buffer.alloc((this.width * 3 + 1) * this.height);
    for (let row = 0; row < this.height; row++) {
      raw[row * (this.width * 3 + 1)] = 0;
      Buffer.from(this.pixels.buffer, this.pixels.byteOffset + row * this.width * 3, this.width * 3).copy(raw, row * (this.width * 3 + 1) + 1);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header.set([8, 2, 0, 0, 0], 8);
    return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk("IHDR", header), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let value = index;
  for (let bit = 0; bit < 8; bit++) value = value & 1 ? 0xedb88320 ^ (value >>> 1) : value >>> 1;
  return value >>> 0;
});

function crc32(data: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of data) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}
