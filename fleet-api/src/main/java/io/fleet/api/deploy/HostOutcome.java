package io.fleet.api.deploy;

/** How deploying one host ended. */
public enum HostOutcome {
  /**
   * The host runs (or boots, for {@code boot}) the new generation and the deployment is confirmed.
   */
  CONFIRMED,
  /** {@code UPLOAD}: the closure is on the host; nothing else changed. */
  UPLOADED,
  /** A step failed before anything on the host changed (no marker was written). */
  FAILED,
  /** A step failed after the rollback was armed; the deployer rolled the host back at once. */
  ROLLED_BACK,
  /**
   * A step failed after the rollback was armed and the host could not be reached any more: its
   * watchdog rolls it back when the rollback window ends (see {@link HostReport#rollbackDueAt()}).
   */
  ROLLBACK_PENDING,
  /** The deployer tried to roll the host back and that failed: the host needs an operator. */
  ROLLBACK_FAILED,
  /**
   * The host was rolled back (by the deployer or a watchdog) but is on neither its previous system
   * nor the new one: the previous generation's activation failed, or the system it ran before the
   * deployment was not its profile's (a {@code test} or an earlier {@code boot}), so activating the
   * profile's previous generation started a third system. The host needs an operator; {@link
   * HostReport#error()} says what it runs, and the failed activation's own output.
   */
  ROLLBACK_INCOMPLETE,
  /** The host was confirmed, then returned to its previous generation because another failed. */
  REVERTED,
  /** Not started, because another host failed (stop-on-failure or a failed canary batch). */
  SKIPPED,
  /** Not started, because the caller was interrupted. */
  CANCELLED;

  /** Whether the host ended where the deployment wanted it. */
  public boolean isSuccess() {
    return this == CONFIRMED || this == UPLOADED;
  }

  /**
   * Whether the host is (or, for {@link #ROLLBACK_PENDING}, will be) on its previous generation.
   */
  public boolean isRolledBack() {
    return this == ROLLED_BACK || this == ROLLBACK_PENDING || this == REVERTED;
  }
}
