package io.fleet.api.deploy;

import java.util.Optional;

/** What a deployment does on each host, as {@code fleet deploy <action>} did. */
public enum DeployAction {
  /** Copy the system's closure to the host; change nothing else. */
  UPLOAD,
  /** Activate the system now without making it the boot default ({@code test}). */
  TEST,
  /** Make the system the boot default without activating it now ({@code boot}). */
  BOOT,
  /** Make the system the boot default and activate it now ({@code switch}). */
  SWITCH;

  /** The {@code switch-to-configuration} argument, empty for {@link #UPLOAD}. */
  public Optional<String> activation() {
    return this == UPLOAD
        ? Optional.empty()
        : Optional.of(name().toLowerCase(java.util.Locale.ROOT));
  }

  /** Whether the system profile gets a new generation ({@link #BOOT} and {@link #SWITCH}). */
  public boolean setsProfile() {
    return this == BOOT || this == SWITCH;
  }

  /** Whether the host should run the new system once the action is done ({@code test/switch}). */
  public boolean runsNewSystem() {
    return this == TEST || this == SWITCH;
  }
}
