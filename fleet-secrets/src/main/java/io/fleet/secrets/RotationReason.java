package io.fleet.secrets;

/** Why a {@link RotationStep} has its action. A step may have several. */
public enum RotationReason {
  /** Declared, not stored. */
  MISSING,
  /** Its {@code expiresAt} has passed. */
  EXPIRED,
  /** Its {@code expiresAt} is within the declared {@code renewBefore} window. */
  RENEWAL_DUE,
  /** The declared {@code expectedGenerationData} differs from the stored generation data. */
  GENERATION_DATA_CHANGED,
  /** An owner was added and the secret regenerates on owner added. */
  OWNER_ADDED,
  /** An owner was removed and the secret regenerates on owner removed. */
  OWNER_REMOVED,
  /** A secret it depends on is (or was, after it) generated anew. */
  DEPENDENCY_REGENERATED,
  /** Owners were added or removed and the secret keeps its value. */
  OWNERS_CHANGED,
  /** An owner's host key is not among the keys the secret is encrypted to. */
  HOST_KEY_CHANGED,
  /** No owner host can decrypt the stored value and no operator identity is configured. */
  UNDECRYPTABLE,
  /** Stored, no longer declared. */
  NOT_DECLARED,
  /** Would need a new value, but the secret has no generator: store one by hand. */
  NO_GENERATOR,
  /** Stored, declared and current. */
  UP_TO_DATE
}
