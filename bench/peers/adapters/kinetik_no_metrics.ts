// Kinetik on its Redis store as `kinetik.ts` runs it, with metrics off (the store's
// recordMetrics hidden, so nothing is counted): beside `kinetik`, what counting runs costs.
import create from "./kinetik.ts";

export default function createWithoutMetrics(options: { url: string; queue: string }) {
  return create({ ...options, metrics: false });
}
