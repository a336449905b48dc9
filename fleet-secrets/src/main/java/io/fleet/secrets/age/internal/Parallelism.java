package io.fleet.secrets.age.internal;

/**
 * How many 64 KiB payload chunks are sealed or opened at once (in parallel when there are several
 * cores). {@code -Dfleet.age.batch=1} makes payload processing sequential.
 */
final class Parallelism {
  static final int BATCH =
      Math.max(
          1,
          Integer.getInteger(
              "fleet.age.batch", Runtime.getRuntime().availableProcessors() > 1 ? 16 : 1));

  private Parallelism() {}
}
