package io.fleet.secrets.internal;

import io.fleet.api.Fleet;
import io.fleet.api.FleetException;
import io.fleet.api.GeneratorSpec;
import io.fleet.api.Generators;
import io.fleet.api.Host;
import io.fleet.api.SecretException;
import io.fleet.api.SecretSpec;
import io.fleet.api.TransportException;
import io.fleet.api.data.FileFleetDataStore;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.FleetDataJournal;
import io.fleet.api.data.FleetDataStore;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.api.spi.CommandResult;
import io.fleet.api.spi.Connection;
import io.fleet.api.spi.SecretCipher;
import io.fleet.api.spi.SecretGenerator;
import io.fleet.api.spi.SecretHostCommands;
import io.fleet.api.spi.Transport;
import io.fleet.secrets.RotationAction;
import io.fleet.secrets.RotationListener;
import io.fleet.secrets.RotationPlan;
import io.fleet.secrets.RotationResult;
import io.fleet.secrets.RotationStep;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out a {@link RotationPlan} step by step, making each finished secret durable at once
 * ({@link RotationSaves}); runs of re-encryptions go in parallel ({@link ParallelReencryption}).
 */
public final class RotationExecutor {
  private static final Logger LOG = LoggerFactory.getLogger("io.fleet.secrets.SecretRotation");

  private final Fleet fleet;
  private final FleetDataStore store;
  private final Optional<Transport> transport;
  private final Optional<Connection> localConnection;
  private final SecretCipher cipher;
  private final Optional<String> operatorIdentity;
  private final Optional<String> operatorRecipient;
  private final String hostKeyPath;
  private final Clock clock;
  private final Map<String, SecretGenerator> generators;
  private final List<RotationListener> listeners;
  private final int parallelism;
  private final boolean batchSaves;
  private final Map<String, Connection> connections = new HashMap<>();
  private FleetData latest;
  private RotationSaves saves;

  /** An executor; see {@code SecretRotation.Builder} for the parameters. */
  public RotationExecutor(
      Fleet fleet,
      FleetDataStore store,
      Optional<Transport> transport,
      Optional<Connection> localConnection,
      SecretCipher cipher,
      Optional<String> operatorIdentity,
      Optional<String> operatorRecipient,
      String hostKeyPath,
      Clock clock,
      Map<String, SecretGenerator> generators,
      List<RotationListener> listeners,
      int parallelism,
      boolean batchSaves) {
    this.fleet = fleet;
    this.store = store;
    this.transport = transport;
    this.localConnection = localConnection;
    this.cipher = cipher;
    this.operatorIdentity = operatorIdentity;
    this.operatorRecipient = operatorRecipient;
    this.hostKeyPath = hostKeyPath;
    this.clock = clock;
    this.generators = generators;
    this.listeners = listeners;
    this.parallelism = parallelism;
    this.batchSaves = batchSaves;
  }

  /**
   * Loads the data and fetches (and records) the key of every host that owns a declared secret and
   * has none recorded, or of every such host when {@code refresh}; returns the data.
   */
  public FleetData fetchHostKeys(boolean refresh, Map<String, String> fetched) {
    FleetData data = store.load();
    Set<String> owners = new TreeSet<>();
    fleet.sharedSecrets().values().forEach(s -> owners.addAll(s.owners()));
    for (Host h : fleet.hosts().values()) {
      if (!h.secrets().isEmpty()) {
        owners.add(h.name());
      }
    }
    owners.retainAll(fleet.hosts().keySet());
    Map<String, String> toRecord = new TreeMap<>();
    try {
      for (String host : owners) {
        Optional<String> recorded = data.hostKey(host);
        if (recorded.isPresent() && !refresh) {
          continue;
        }
        if (transport.isEmpty()) {
          if (recorded.isEmpty()) {
            warn(
                "host "
                    + host
                    + " has no key recorded and no transport is configured to fetch it; secrets"
                    + " it owns cannot be encrypted until its key is recorded");
          }
          continue;
        }
        String key = fetchKey(host);
        if (!recorded.equals(Optional.of(key))) {
          toRecord.put(host, key);
        }
      }
    } finally {
      closeConnections();
    }
    if (toRecord.isEmpty()) {
      return data;
    }
    FleetData updated =
        store.update(
            d -> {
              FleetData r = d;
              for (Map.Entry<String, String> e : toRecord.entrySet()) {
                r = r.withHostKey(e.getKey(), e.getValue());
              }
              return r;
            });
    toRecord.forEach(
        (h, k) -> {
          fetched.put(h, k);
          LOG.info("recorded the key of host {}: {}", h, k);
          listeners.forEach(l -> l.hostKeyFetched(h, k));
        });
    return updated;
  }

  private String fetchKey(String host) {
    CommandResult r = connection(host).run(SecretHostCommands.readHostKey(hostKeyPath));
    String[] f = r.stdoutText().trim().split("\\s+");
    if (!r.isSuccess() || f.length < 2 || !f[0].equals("ssh-ed25519")) {
      throw new TransportException(
          host,
          TransportException.Reason.OTHER,
          "cannot read its SSH host key "
              + hostKeyPath
              + ".pub (exit code "
              + r.exitCode()
              + ": "
              + r.stderrText().strip()
              + "); secrets are encrypted to that ed25519 key, so it must exist");
    }
    AgeStanzas.tagOf(f[0] + " " + f[1]);
    return f[0] + " " + f[1];
  }

  /** Carries out {@code plan}. */
  public RotationResult execute(RotationPlan plan, Map<String, String> fetched) {
    RotationResult.Builder result = RotationResult.builder().plan(plan).fetchedHostKeys(fetched);
    FleetData current = store.load();
    latest = current;
    saves =
        batchSaves && store instanceof FileFleetDataStore
            ? RotationSaves.journaled((FileFleetDataStore) store, FOLD_EVERY)
            : RotationSaves.immediate(store);
    ExecutorService pool = null;
    boolean failed = true;
    try {
      List<RotationStep> steps = plan.steps();
      for (int i = 0; i < steps.size(); ) {
        int end = i;
        while (end < steps.size() && parallelizable(steps.get(end))) {
          end++;
        }
        if (parallelism > 1 && end - i > 1) {
          if (pool == null) {
            pool = Executors.newFixedThreadPool(parallelism, RotationExecutor::worker);
          }
          current = reencryptAll(steps.subList(i, end), current, pool, result);
          i = end;
          continue;
        }
        current = runOne(steps.get(i), current, result);
        i++;
      }
      failed = false;
    } finally {
      try {
        saves.finish(latest);
      } catch (FleetException e) {
        if (!failed) {
          throw e;
        }
        LOG.error("saving the finished secrets failed too: {}", e.getMessage());
      } finally {
        if (pool != null) {
          pool.shutdownNow();
        }
        closeConnections();
      }
    }
    return result.build();
  }

  /** How many journaled changes at most before the data file is saved (and the journal reset). */
  private static final int FOLD_EVERY = 10_000;

  private static final java.util.concurrent.atomic.AtomicInteger WORKERS =
      new java.util.concurrent.atomic.AtomicInteger();

  private static Thread worker(Runnable r) {
    Thread t = new Thread(r, "fleet-rotation-worker-" + WORKERS.incrementAndGet());
    t.setDaemon(true);
    return t;
  }

  /** Re-encryptions are independent of each other; unchanged steps only carry warnings. */
  private static boolean parallelizable(RotationStep step) {
    return step.action() == RotationAction.REENCRYPT || step.action() == RotationAction.UNCHANGED;
  }

  private FleetData runOne(RotationStep step, FleetData current, RotationResult.Builder result) {
    if (step.action() == RotationAction.UNCHANGED) {
      step.warning().ifPresent(w -> warn(w, result));
      return current;
    }
    listeners.forEach(l -> l.stepStarted(step));
    try {
      current = run(step, current);
    } catch (FleetException e) {
      throw stopped(step, e);
    }
    finished(step, result);
    return current;
  }

  /** Re-encrypts {@code steps} (and passes unchanged ones) on the pool, recording each here. */
  private FleetData reencryptAll(
      List<RotationStep> steps,
      FleetData snapshot,
      ExecutorService pool,
      RotationResult.Builder result) {
    List<RotationStep> work = new ArrayList<>();
    for (RotationStep step : steps) {
      if (step.action() == RotationAction.UNCHANGED) {
        step.warning().ifPresent(w -> warn(w, result));
      } else {
        work.add(step);
      }
    }
    try {
      ParallelReencryption.run(
          work,
          parallelism,
          pool,
          step -> reencrypt(step, snapshot),
          step -> listeners.forEach(l -> l.stepStarted(step)),
          done -> {
            List<FleetDataJournal.Change> changes = new ArrayList<>(done.size());
            FleetData updated = latest;
            for (Map.Entry<RotationStep, StoredSecret> d : done) {
              FleetDataJournal.Change c = change(d.getKey(), d.getValue());
              changes.add(c);
              updated = c.applyTo(updated);
            }
            saves.record(changes, updated);
            latest = updated;
            done.forEach(d -> finished(d.getKey(), result));
          });
    } catch (ParallelReencryption.Failure f) {
      throw stopped(f.step, f.error);
    }
    return latest;
  }

  private void finished(RotationStep step, RotationResult.Builder result) {
    step.warning().ifPresent(w -> warn(w, result));
    result.addDone(step);
    LOG.info("{} {}: {}", step.action(), step.id(), step.description());
    listeners.forEach(l -> l.stepFinished(step));
  }

  private SecretException stopped(RotationStep step, FleetException e) {
    listeners.forEach(l -> l.stepFailed(step, e));
    LOG.error("rotation stopped at {}: {}", step.id(), e.getMessage());
    return new SecretException(
        step.name(),
        "rotation stopped at "
            + step.id()
            + " ("
            + step.action()
            + "): "
            + e.getMessage()
            + "; the secrets finished before it are saved: fix the cause and run the"
            + " rotation again to continue",
        e);
  }

  private void warn(String w, RotationResult.Builder result) {
    warn(w);
    result.addWarnings(w);
  }

  private void warn(String w) {
    LOG.warn(w);
    listeners.forEach(l -> l.warning(w));
  }

  private FleetData run(RotationStep step, FleetData current) {
    switch (step.action()) {
      case GENERATE:
      case REGENERATE:
        return save(step, generate(step, current));
      case REENCRYPT:
        return save(step, reencrypt(step, current));
      case REMOVE:
        return save(
            step.host().isPresent()
                ? FleetDataJournal.Change.withoutHostSecret(step.host().get(), step.name())
                : FleetDataJournal.Change.withoutSharedSecret(step.name()));
      default:
        return current;
    }
  }

  private FleetData save(RotationStep step, StoredSecret secret) {
    return save(change(step, secret));
  }

  private static FleetDataJournal.Change change(RotationStep step, StoredSecret secret) {
    return step.host().isPresent()
        ? FleetDataJournal.Change.hostSecret(step.host().get(), step.name(), secret)
        : FleetDataJournal.Change.sharedSecret(
            step.name(), SharedSecretData.of(step.ownersAfter(), secret));
  }

  /**
   * Applies {@code change} to the data as this rotation last loaded or saved it, and makes it
   * durable. No reload: the store refuses to save over a file that changed meanwhile, which stops
   * the rotation with everything done so far saved.
   */
  private FleetData save(FleetDataJournal.Change change) {
    FleetData updated = change.applyTo(latest);
    saves.record(List.of(change), updated);
    latest = updated;
    return updated;
  }

  private SecretSpec spec(RotationStep step) {
    Optional<SecretSpec> s =
        step.host().isPresent()
            ? Optional.ofNullable(fleet.hosts().get(step.host().get()))
                .map(h -> h.secrets().get(step.name()))
            : fleet.sharedSecret(step.name());
    return s.orElseThrow(
        () ->
            new SecretException(
                step.name(),
                step.id() + " is no longer declared in the fleet; make a new plan",
                null));
  }

  private static Optional<StoredSecret> stored(FleetData d, Optional<String> host, String name) {
    return host.isPresent()
        ? d.hostSecret(host.get(), name)
        : d.sharedSecret(name).map(SharedSecretData::secret);
  }

  /** The owners' keys, then the operator's recipient. */
  private List<String> recipients(RotationStep step, FleetData d) {
    Set<String> r = new LinkedHashSet<>();
    for (String owner : step.ownersAfter()) {
      r.add(
          d.hostKey(owner)
              .orElseThrow(
                  () ->
                      new SecretException(
                          step.name(),
                          "owner host "
                              + owner
                              + " of "
                              + step.id()
                              + " has no key recorded: configure a transport so it can be"
                              + " fetched, or record it in the fleet data",
                          null)));
    }
    operatorRecipient.ifPresent(r::add);
    return new ArrayList<>(r);
  }

  private StoredSecret generate(RotationStep step, FleetData current) {
    SecretSpec spec = spec(step);
    GeneratorSpec g =
        spec.generator()
            .orElseThrow(
                () ->
                    new SecretException(
                        step.name(),
                        step.id() + " has no generator: store a value for it by hand",
                        null));
    SecretGenerator generator = generators.get(g.kind());
    if (generator == null) {
      throw new SecretException(
          step.name(),
          step.id()
              + " uses generator kind "
              + g.kind()
              + ", which no SecretGenerator provides; known kinds: "
              + new TreeSet<>(generators.keySet()),
          null);
    }
    Optional<Connection> conn = Optional.empty();
    if (g.runOn().isPresent()) {
      conn = Optional.of(connection(g.runOn().get()));
    } else if (Generators.SCRIPT.equals(g.kind())) {
      conn = localConnection;
    }
    GenerationRequest request =
        new GenerationRequest(
            step, spec, g, recipients(step, current), conn, current, clock.instant());
    StoredSecret secret = generator.generate(request);
    if (spec.expectedGenerationData().isPresent()) {
      secret =
          StoredSecret.builder()
              .from(secret)
              .generationData(spec.expectedGenerationData().get())
              .build();
    }
    return secret;
  }

  private StoredSecret reencrypt(RotationStep step, FleetData current) {
    StoredSecret old =
        stored(current, step.host(), step.name())
            .orElseThrow(
                () ->
                    new SecretException(
                        step.name(), step.id() + " is no longer stored; make a new plan", null));
    List<String> recipients = recipients(step, current);
    SortedMap<String, SecretPart> parts = new TreeMap<>();
    for (Map.Entry<String, SecretPart> e : old.parts().entrySet()) {
      SecretPart p = e.getValue();
      parts.put(
          e.getKey(),
          p.isEncrypted()
              ? SecretPart.encrypted(
                  reencryptPart(step, e.getKey(), p.bytes(), recipients, current))
              : p);
    }
    return StoredSecret.builder().from(old).parts(parts).build();
  }

  private byte[] reencryptPart(
      RotationStep step, String part, byte[] ageFile, List<String> recipients, FleetData current) {
    SecretException operatorFailure = null;
    if (operatorIdentity.isPresent()) {
      byte[] plain = null;
      try {
        plain = cipher.decrypt(ageFile, List.of(operatorIdentity.get()));
        return cipher.encrypt(plain, recipients);
      } catch (SecretException e) {
        operatorFailure = e;
      } finally {
        if (plain != null) {
          Arrays.fill(plain, (byte) 0);
        }
      }
    }
    Set<String> tags = AgeStanzas.sshTags(ageFile).orElse(Set.of());
    List<String> candidates = new ArrayList<>();
    for (String owner : step.ownersBefore()) {
      if (!fleet.hosts().containsKey(owner) || transport.isEmpty()) {
        continue;
      }
      Optional<String> tag = current.hostKey(owner).flatMap(AgeStanzas::tagOf);
      if (tag.isPresent() && tags.contains(tag.get())) {
        candidates.add(owner);
      }
    }
    List<String> failures = new ArrayList<>();
    for (String host : candidates) {
      try {
        CommandResult r =
            connection(host).run(SecretHostCommands.reencrypt(hostKeyPath, recipients, ageFile));
        byte[] out = r.stdout();
        if (r.isSuccess() && AgeStanzas.isBinaryAgeFile(out)) {
          return out;
        }
        failures.add(
            host + ": exit code " + r.exitCode() + ": " + truncate(r.stderrText().strip()));
      } catch (TransportException e) {
        failures.add(host + ": " + e.getMessage());
      }
    }
    StringBuilder msg =
        new StringBuilder("cannot re-encrypt part " + part + " of " + step.id() + ": ");
    if (candidates.isEmpty()) {
      msg.append(
          transport.isEmpty()
              ? "no transport is configured to reach an owner host"
              : "none of its owners " + step.ownersBefore() + " holds a key it is encrypted to");
    } else {
      msg.append("re-encryption failed on ").append(failures);
    }
    if (operatorFailure != null) {
      msg.append("; the operator identity cannot decrypt it either");
    } else if (operatorIdentity.isEmpty()) {
      msg.append("; configure an operator identity it is encrypted to, or regenerate it");
    }
    throw new SecretException(step.name(), msg.toString(), operatorFailure);
  }

  private static String truncate(String s) {
    return s.length() > 500 ? s.substring(0, 500) + "…" : s;
  }

  private synchronized Connection connection(String host) {
    Connection c = connections.get(host);
    if (c != null && c.isOpen()) {
      return c;
    }
    Transport t =
        transport.orElseThrow(
            () ->
                new TransportException(
                    host,
                    TransportException.Reason.OTHER,
                    "no transport is configured: SecretRotation.Builder.transport(...)"));
    c = t.connect(fleet.host(host));
    connections.put(host, c);
    return c;
  }

  private synchronized void closeConnections() {
    for (Connection c : connections.values()) {
      try {
        c.close();
      } catch (RuntimeException e) {
        LOG.debug("closing the connection to {} failed: {}", c.host(), e.toString());
      }
    }
    connections.clear();
  }

  /** What a generator gets for one step. */
  private final class GenerationRequest implements SecretGenerator.Request {
    private final RotationStep step;
    private final SecretSpec spec;
    private final GeneratorSpec generator;
    private final List<String> recipients;
    private final Optional<Connection> host;
    private final FleetData data;
    private final java.time.Instant now;

    GenerationRequest(
        RotationStep step,
        SecretSpec spec,
        GeneratorSpec generator,
        List<String> recipients,
        Optional<Connection> host,
        FleetData data,
        java.time.Instant now) {
      this.step = step;
      this.spec = spec;
      this.generator = generator;
      this.recipients = List.copyOf(recipients);
      this.host = host;
      this.data = data;
      this.now = now;
    }

    @Override
    public String secretName() {
      return step.name();
    }

    @Override
    public SecretSpec spec() {
      return spec;
    }

    @Override
    public GeneratorSpec generator() {
      return generator;
    }

    @Override
    public List<String> recipients() {
      return recipients;
    }

    @Override
    public SecretCipher cipher() {
      return cipher;
    }

    @Override
    public java.time.Instant now() {
      return now;
    }

    @Override
    public Optional<Connection> host() {
      return host;
    }

    @Override
    public Optional<StoredSecret> dependency(String name) {
      if (step.host().isPresent()) {
        Host h = fleet.hosts().get(step.host().get());
        if (h != null && h.secrets().containsKey(name)) {
          return data.hostSecret(h.name(), name);
        }
      }
      return data.sharedSecret(name).map(SharedSecretData::secret);
    }

    @Override
    public Optional<byte[]> decryptDependency(String name, String part) {
      if (operatorIdentity.isEmpty()) {
        return Optional.empty();
      }
      SecretPart p =
          dependency(name)
              .flatMap(s -> s.part(part))
              .orElseThrow(
                  () ->
                      new SecretException(
                          step.name(),
                          step.id()
                              + " needs part "
                              + part
                              + " of "
                              + name
                              + ", which is not stored",
                          null));
      if (!p.isEncrypted()) {
        return Optional.of(p.bytes());
      }
      try {
        return Optional.of(cipher.decrypt(p.bytes(), List.of(operatorIdentity.get())));
      } catch (SecretException e) {
        throw new SecretException(
            step.name(),
            "the operator identity cannot decrypt part "
                + part
                + " of "
                + name
                + ", which "
                + step.id()
                + " needs: it was not encrypted to the operator's recipient; regenerate "
                + name
                + " with the operator identity configured",
            e);
      }
    }

    @Override
    public String toString() {
      return "GenerationRequest{" + step.id() + ", " + generator.kind() + "}";
    }
  }
}
