/** The slice of autocannon's programmatic API the upstream test uses (the package ships no types). */
declare module 'autocannon' {
  interface Options {
    url: string;
    connections?: number;
    /** Seconds. */
    duration?: number;
    method?: string;
    headers?: Record<string, string>;
    body?: string;
    /** Seconds before a request counts as a timeout. */
    timeout?: number;
  }
  interface Stats {
    mean: number;
    p50: number;
    p90: number;
    p99: number;
    max: number;
    total: number;
    totalCount: number;
  }
  interface Result {
    /** Seconds the run lasted. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    /** Latency in ms. */
    latency: Stats;
    requests: Stats & { sent: number };
  }
  interface Instance extends PromiseLike<Result> {
    stop(): void;
  }
  function autocannon(options: Options): Instance;
  export default autocannon;
}
