package io.fleet.secrets;

/** What a {@link RotationPlan} does with one secret. */
public enum RotationAction {
  /** The secret is declared but not stored: generate it. */
  GENERATE,
  /** The stored value must be replaced by a new one (see the step's reasons). */
  REGENERATE,
  /** The value stays; its private parts are encrypted again to the current owners' keys. */
  REENCRYPT,
  /** The secret is stored but no longer declared: delete it from the fleet data. */
  REMOVE,
  /** Nothing to do. */
  UNCHANGED;

  /** Whether this action produces a new value (and so cascades to dependent secrets). */
  public boolean producesNewValue() {
    return this == GENERATE || this == REGENERATE;
  }
}
