/** Test helper: seeded text for tokenizer tests. */
import { createSeededRandom } from "../../resilience/random.js";

/** `length` characters drawn from `alphabet` (split by code point) with a seeded generator. */
export function randomText(alphabet: string, length: number, seed: number): string {
  const characters = [...alphabet];
  const random = createSeededRandom(seed);
  return Array.from({ length }, () => characters[Math.floor(random() * characters.length)]).join("");
}

/** `length` random lowercase letters: one word, the input that makes BPE quadratic. */
export function randomWord(length: number, seed: number): string {
  return randomText("abcdefghijklmnopqrstuvwxyz", length, seed);
}
