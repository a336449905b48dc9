package io.fleet.api.deploy;

/**
 * The steps of deploying one host, in order; {@link #BUILD} runs only for hosts built on the
 * target, the last two only when something failed.
 */
public enum DeployStep {
  /** One round trip: generation, systems, boot id, free space, marker, missing paths. */
  PREFLIGHT,
  /**
   * Copying the paths the host lacks (after optional substitution on the host): the system's
   * closure, or, when the host builds its own system, the closure of the system's derivation (the
   * {@code .drv} files and sources).
   */
  COPY,
  /**
   * Building on the target: {@code nix-store --realise} of the system derivation on the host
   * ({@link HostProtocol#realise}), checking that its output is the planned system. Only for hosts
   * the plan builds on the target ({@link DeploymentPlan#derivations()}); nothing is armed before
   * it succeeds.
   */
  BUILD,
  /** Writing the rollback marker, starting the watchdog and (boot/switch) setting the profile. */
  ARM,
  /** {@code switch-to-configuration}, detached from the SSH session. */
  ACTIVATE,
  /** Health checks: commands on the host and HTTP URLs. */
  CHECK,
  /** Removing the marker and stopping the watchdog, over a new connection. */
  CONFIRM,
  /** Returning the host to its previous generation at once. */
  ROLLBACK,
  /** Returning an already confirmed host to its previous generation (fleet policy). */
  REVERT
}
