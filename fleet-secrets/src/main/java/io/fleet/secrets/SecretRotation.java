package io.fleet.secrets;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Names;
import io.fleet.api.SecretException;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.FleetDataStore;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretGenerator;
import io.fleet.api.spi.SecretHostCommands;
import io.fleet.api.spi.Services;
import io.fleet.api.spi.Transport;
import io.fleet.secrets.age.Age;
import io.fleet.secrets.internal.RotationExecutor;
import io.fleet.secrets.internal.RotationPlanner;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Generates, regenerates, re-encrypts and removes a fleet's secrets: compares the secrets the
 * {@link Fleet} declares with those stored in the fleet data, makes a {@link RotationPlan}, and
 * carries it out.
 *
 * <pre>{@code
 * SecretRotation rotation = SecretRotation.builder()
 *     .fleet(fleet)
 *     .store(JsonFleetDataStore.at(Path.of("fleet.json")))
 *     .transport(sshTransport)                 // to fetch host keys, run generators, re-encrypt
 *     .build();
 * RotationPlan plan = rotation.plan();         // fetches host keys that are not recorded
 * System.out.println(plan.toJson());
 * RotationResult result = rotation.execute(plan);
 * }</pre>
 *
 * <p>Guarantees: private parts are encrypted as soon as they are generated and no plaintext of them
 * is written to disk or logged; re-encryption runs on a host that owns the secret (decrypting with
 * its SSH host key and encrypting to the new owners in one pipe, so the plaintext never leaves the
 * host) or, when an operator identity is configured, in memory here; every finished secret is saved
 * at once through the {@link FleetDataStore}, so an interrupted rotation loses nothing done and
 * running it again continues where it stopped.
 */
public final class SecretRotation {
  private final Builder config;
  private final Map<String, SecretGenerator> generators;
  private final Map<String, String> fetchedKeys = new HashMap<>();

  private SecretRotation(Builder b) {
    this.config = b;
    Map<String, SecretGenerator> g = new HashMap<>();
    for (SecretGenerator d : Services.discoverAll(SecretGenerator.class)) {
      g.putIfAbsent(d.kind(), d);
    }
    g.putAll(b.generators);
    this.generators = Map.copyOf(g);
  }

  /** A builder; {@link Builder#fleet} and {@link Builder#store} are required. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Plans the rotation of {@code fleet}'s secrets against {@code data} at {@code now}, with the
   * host keys recorded in {@code data}, without any I/O. Secrets no owner host can decrypt are
   * planned for regeneration (there is no operator identity here).
   *
   * @throws FleetConfigException if the fleet is invalid ({@link Fleet#validate()}: an owner that
   *     is not a host, missing or cyclic dependencies …, every problem listed)
   */
  public static RotationPlan plan(Fleet fleet, FleetData data, Instant now) {
    if (fleet == null) {
      throw new FleetConfigException("SecretRotation.plan needs a fleet; give one");
    }
    return new RotationPlanner(fleet.validate(), data, now, false).plan();
  }

  /**
   * Loads the fleet data, fetches the key of every owner host that has none recorded (and records
   * it, or every owner's key with {@link Builder#refreshHostKeys}), and plans the rotation.
   *
   * @throws io.fleet.api.TransportException if a host key must be fetched and the host cannot be
   *     reached
   */
  public RotationPlan plan() {
    FleetData data = executor().fetchHostKeys(config.refreshHostKeys, fetchedKeys);
    return new RotationPlanner(
            config.fleet, data, config.clock.instant(), config.operatorIdentity != null)
        .plan();
  }

  /**
   * Carries out {@code plan}, saving each secret as soon as it is done. Stops at the first failure
   * with a {@link SecretException} naming the secret; what was done before it stays saved, and
   * planning and executing again continues from there.
   */
  public RotationResult execute(RotationPlan plan) {
    return executor().execute(plan, fetchedKeys);
  }

  /** {@link #plan()}, then {@link #execute(RotationPlan)}. */
  public RotationResult run() {
    return execute(plan());
  }

  private RotationExecutor executor() {
    return new RotationExecutor(
        config.fleet,
        config.store,
        Optional.ofNullable(config.transport),
        Optional.ofNullable(config.localConnection),
        config.cipher == null ? SecretCipher.discover() : config.cipher,
        Optional.ofNullable(config.operatorIdentity),
        Optional.ofNullable(config.operatorRecipient),
        config.hostKeyPath,
        config.clock,
        generators,
        List.copyOf(config.listeners));
  }

  /** Configures a {@link SecretRotation}. */
  public static final class Builder {
    private Fleet fleet;
    private FleetDataStore store;
    private Transport transport;
    private Connection localConnection;
    private SecretCipher cipher;
    private String operatorIdentity;
    private String operatorRecipient;
    private String hostKeyPath = SecretHostCommands.HOST_KEY;
    private Clock clock = Clock.systemUTC();
    private boolean refreshHostKeys;
    private final Map<String, SecretGenerator> generators = new HashMap<>();
    private final List<RotationListener> listeners = new ArrayList<>();

    private Builder() {}

    /** The fleet whose declared secrets to rotate. Required. */
    public Builder fleet(Fleet fleet) {
      this.fleet = Objects.requireNonNull(fleet, "fleet");
      return this;
    }

    /** Where the secrets are stored (a JSON file, or {@code fleet.nix}). Required. */
    public Builder store(FleetDataStore store) {
      this.store = Objects.requireNonNull(store, "store");
      return this;
    }

    /**
     * How to reach hosts: to fetch their keys, run generators on them ({@code runOn}) and
     * re-encrypt on them. Without one, only local work is possible.
     */
    public Builder transport(Transport transport) {
      this.transport = Objects.requireNonNull(transport, "transport");
      return this;
    }

    /**
     * A connection to the machine the library runs on (for example from {@code
     * io.fleet.transport.LocalTransport}), for script generators without {@code runOn}.
     */
    public Builder localConnection(Connection connection) {
      this.localConnection = Objects.requireNonNull(connection, "connection");
      return this;
    }

    /** The cipher; default {@link SecretCipher#discover()} (age). */
    public Builder cipher(SecretCipher cipher) {
      this.cipher = Objects.requireNonNull(cipher, "cipher");
      return this;
    }

    /**
     * An operator identity ({@code AGE-SECRET-KEY-1…} or an OpenSSH ed25519 private key) and its
     * recipient ({@code age1…} or {@code ssh-ed25519 …}). Every private part is also encrypted to
     * {@code recipient}, so the operator can re-encrypt secrets here, in memory, without a host,
     * and sign certificates with a CA's key. Never logged or shown.
     */
    public Builder operatorIdentity(String identity, String recipient) {
      this.operatorIdentity = Objects.requireNonNull(identity, "identity");
      this.operatorRecipient = Objects.requireNonNull(recipient, "recipient");
      return this;
    }

    /**
     * An operator identity as {@link #operatorIdentity(String, String)}, with the recipient derived
     * from it.
     *
     * @throws io.fleet.api.SecretException if it is not an age or OpenSSH ed25519 identity
     */
    public Builder operatorIdentity(String identity) {
      return operatorIdentity(
          identity, Age.recipientOf(Objects.requireNonNull(identity, "identity")));
    }

    /**
     * The SSH host key on the hosts that secrets are decrypted with; default {@value
     * SecretHostCommands#HOST_KEY}. Its {@code .pub} file is read to fetch a host's key.
     */
    public Builder hostKeyPath(String path) {
      this.hostKeyPath = Objects.requireNonNull(path, "path");
      return this;
    }

    /** Fetch every owner's key when planning, not only the missing ones (to see changed keys). */
    public Builder refreshHostKeys(boolean refresh) {
      this.refreshHostKeys = refresh;
      return this;
    }

    /** The clock for {@code createdAt}, expiry and renewal; default UTC system clock. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** A generator to use for its kind instead of the discovered one. */
    public Builder generator(SecretGenerator generator) {
      generators.put(generator.kind(), generator);
      return this;
    }

    /** Adds a progress listener. */
    public Builder listener(RotationListener listener) {
      listeners.add(Objects.requireNonNull(listener, "listener"));
      return this;
    }

    /**
     * The rotation.
     *
     * @throws FleetConfigException if the fleet or store is missing, or the fleet is invalid
     *     ({@link Fleet#validate()}, every problem listed): a rotation of an invalid fleet would
     *     fail later with a less helpful message, or not at all
     */
    public SecretRotation build() {
      if (fleet == null || store == null) {
        throw new FleetConfigException(
            "SecretRotation needs a fleet and a store: call fleet(...) and store(...)");
      }
      fleet.validate();
      return new SecretRotation(this);
    }
  }

  @Override
  public String toString() {
    return "SecretRotation{fleet "
        + Names.quote(config.fleet.name())
        + " ("
        + config.fleet.hosts().size()
        + " hosts), store "
        + config.store
        + ", transport "
        + (config.transport == null ? "none" : config.transport.toString())
        + ", operator identity "
        + (config.operatorIdentity == null ? "none" : "configured")
        + "}";
  }
}
