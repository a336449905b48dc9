package io.fleet.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The virtual clock of a fake fleet. Time moves only when a test calls {@link #advance} (or code
 * under test calls {@link #sleep}); fake hosts run their watchdog timers when it passes their
 * deadline. Thread-safe.
 */
public final class FakeClock extends Clock {
  private final List<Consumer<Instant>> listeners = new CopyOnWriteArrayList<>();
  private Instant now;

  /** A clock starting at {@code start}. */
  public FakeClock(Instant start) {
    this.now = start;
  }

  /** A clock starting at 2026-01-01T00:00:00Z. */
  public FakeClock() {
    this(Instant.parse("2026-01-01T00:00:00Z"));
  }

  @Override
  public synchronized Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return Clock.fixed(instant(), zone);
  }

  /** Moves time forward by {@code d} and lets every host run the timers that are now due. */
  public void advance(Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException("time cannot go backwards: " + d);
    }
    Instant t;
    synchronized (this) {
      now = now.plus(d);
      t = now;
    }
    for (Consumer<Instant> l : listeners) {
      l.accept(t);
    }
  }

  /**
   * What code under test calls instead of {@link Thread#sleep}: advances the clock by {@code d}.
   * Pass {@code clock::sleep} where a sleeper is wanted.
   */
  public void sleep(Duration d) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted while sleeping on the fake clock");
    }
    advance(d);
  }

  void onTick(Consumer<Instant> listener) {
    listeners.add(listener);
  }

  /** What this is: a virtual clock and where it stands. */
  @Override
  public String toString() {
    return "FakeClock{" + instant() + "}";
  }
}
