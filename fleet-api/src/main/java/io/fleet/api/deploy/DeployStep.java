package io.fleet.api.deploy;

/** The steps of deploying one host, in order; the last two run only when something failed. */
public enum DeployStep {
  /** One round trip: generation, systems, boot id, free space, marker, missing paths. */
  PREFLIGHT,
  /** Copying the paths the host lacks (after optional substitution on the host). */
  COPY,
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
