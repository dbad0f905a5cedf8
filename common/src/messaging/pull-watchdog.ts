import type { ConsumerInfo } from '@nats-io/jetstream';

/** What the watchdog of a pull consumer decides after a look at its durable. */
export type PullVerdict = 'live' | 'repull' | 'reconnect';

/** Settings of `PullWatchdog`. */
export interface PullWatchdogOptions {
  /** Reads the durable's state from the server (JetStream consumer info). */
  info: () => Promise<ConsumerInfo>;
  /** How long the server may hold events that reach nobody before the pull is abandoned. */
  stallMs: number;
  /** The durable's ack wait: events delivered to a lost pull come back only after it. */
  ackWaitMs: number;
  /** Called when the pull is dead: the caller opens a fresh one (a new inbox, new requests). */
  onRepull: (why: string) => void;
  /**
   * Called when a fresh pull did not help either, or JetStream cannot be reached through this
   * connection at all: the server it is on is cut off from the cluster, so the caller moves the
   * connection to another server.
   */
  onReconnect: (why: string) => void;
  /** True while the consumer is handling messages: the pull is not what keeps it quiet. */
  busy?: () => boolean;
  /** Time source (tests). Default Date.now. */
  now?: () => number;
}

/**
 * Keeps a pull consumer live when its connection stays healthy but its pull stopped working: its
 * server was cut off from the rest of the cluster, or the durable's leader moved and the pull
 * requests waiting there were dropped. nats.js only notices that by missed idle heartbeats, and
 * not at all while a stale request still produces heartbeats; and on a server that stays cut off,
 * a new pull cannot reach the leader either.
 *
 * While the consumer receives messages it does nothing. Once it has received nothing for
 * `stallMs`, each `check()` asks the server: when the durable holds events (pending, or delivered
 * and unacked past the ack wait) and its delivered sequence has not moved for `stallMs`, nobody is
 * receiving them: the pull is dead (`onRepull`). If that happens again without a message in
 * between, or JetStream has not answered for `stallMs`, the server this connection is on cannot
 * reach the cluster (`onReconnect`). Both are cheap when wrong: one extra pull, one reconnect.
 */
export class PullWatchdog {
  private readonly now: () => number;
  private quietSince: number;
  /** The durable's delivered sequence and since when it has not moved while events waited. */
  private stuck?: { delivered: number; since: number };
  /** Since when consumer info has failed, without an answer in between. */
  private blindSince?: number;
  /** A fresh pull was opened since the last message and did not help (yet). */
  private repulled = false;
  private checking = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly options: PullWatchdogOptions) {
    this.now = options.now ?? Date.now;
    this.quietSince = this.now();
  }

  /** Checks every half `stallMs` until `stop`. */
  start(): this {
    this.timer = setInterval(() => {
      if (this.options.busy?.()) this.active();
      else void this.check();
    }, this.options.stallMs / 2);
    this.timer.unref();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** A message arrived or was handled: the pull works. */
  active(): void {
    this.quietSince = this.now();
    this.stuck = undefined;
    this.blindSince = undefined;
    this.repulled = false;
  }

  /** Looks at the durable once (when idle long enough) and acts on what it sees. */
  async check(): Promise<PullVerdict> {
    if (this.checking) return 'live';
    this.checking = true;
    try {
      const verdict = await this.judge();
      if (verdict !== 'live') {
        // The next verdict needs fresh evidence, gathered over another stallMs.
        this.stuck = undefined;
        this.blindSince = undefined;
        this.quietSince = this.now();
      }
      if (verdict === 'repull') this.repulled = true;
      if (verdict === 'reconnect') this.repulled = false;
      return verdict;
    } finally {
      this.checking = false;
    }
  }

  private async judge(): Promise<PullVerdict> {
    const { stallMs, ackWaitMs } = this.options;
    if (this.now() - this.quietSince < stallMs) return 'live';
    let info: ConsumerInfo;
    try {
      info = await this.options.info();
    } catch (err) {
      this.blindSince ??= this.now();
      if (this.now() - this.blindSince < stallMs) return 'live';
      this.options.onReconnect(`JetStream has not answered for ${stallMs} ms: ${String(err)}`);
      return 'reconnect';
    }
    this.blindSince = undefined;
    const waiting = info.num_pending > 0 || info.num_ack_pending > 0;
    // At its max_ack_pending the server holds events back on purpose, until acks come.
    const maxAckPending = info.config.max_ack_pending ?? -1;
    const heldBack = maxAckPending > 0 && info.num_ack_pending >= maxAckPending;
    const delivered = info.delivered.consumer_seq;
    if (!waiting || heldBack) {
      // Nothing for anyone: the next look is due a whole stallMs later.
      this.stuck = undefined;
      this.quietSince = this.now();
      return 'live';
    }
    if (this.stuck?.delivered !== delivered) {
      this.stuck = { delivered, since: this.now() };
      return 'live';
    }
    // Unacked events come back only after the ack wait: give them that long before judging.
    const patience = info.num_pending > 0 ? stallMs : stallMs + ackWaitMs;
    if (this.now() - this.stuck.since < patience) return 'live';
    const why = `${info.num_pending} pending and ${info.num_ack_pending} unacked events reached nobody for ${this.now() - this.stuck.since} ms`;
    if (this.repulled) {
      this.options.onReconnect(`${why}, even after a fresh pull`);
      return 'reconnect';
    }
    this.options.onRepull(why);
    return 'repull';
  }
}
