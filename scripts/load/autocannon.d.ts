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
    /** Failed requests, timeouts included. */
    errors: number;
    non2xx: number;
    /** Latency in ms. */
    latency: Stats;
    requests: Stats;
  }
  function autocannon(options: Options): PromiseLike<Result>;
  export default autocannon;
}
