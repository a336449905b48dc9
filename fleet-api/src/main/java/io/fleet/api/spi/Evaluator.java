package io.fleet.api.spi;

import io.fleet.api.Fleet;
import io.fleet.api.Host;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Turns a fleet's Nix configuration into a {@link Fleet} and builds its hosts' systems.
 * Implementations: {@code io.fleet.nix.NixEvaluator} (the real {@code nix}) and the testkit's fake.
 *
 * <p>Contract: {@link #evaluate} evaluates every host in one pass and {@link #build} builds all
 * requested hosts in one batch; failures are {@link io.fleet.api.EvaluationException}s with the
 * tool's own message and, where the failure is in one host, that host. Closing releases anything
 * the evaluator holds; {@link #close()} may be called more than once.
 */
public interface Evaluator extends AutoCloseable {
  /**
   * Evaluates configuration {@code configuration} (usually {@code default}) of the flake at {@code
   * flakeRef} (a path or any flake URL). Hosts in the result carry their {@link
   * io.fleet.api.Host#systemAttribute()}.
   */
  Fleet evaluate(String flakeRef, String configuration);

  /**
   * Evaluates as {@link #evaluate(String, String)} does, and hands the result to {@code sink} piece
   * by piece: the fleet-level part first, then each host as soon as it is evaluated (or its
   * failure), so a caller can build and deploy the first hosts while the others evaluate. Returns
   * and throws what {@link #evaluate(String, String)} returns and throws, once every host has been
   * delivered; an evaluator that evaluates in several processes (such as {@code NixEvaluator}'s
   * pool) delivers each process's hosts when that process ends.
   *
   * <p>The default evaluates everything with {@link #evaluate(String, String)}, then delivers: the
   * fleet-level part and every host, in host order. When that throws, nothing is delivered and the
   * exception (an {@link io.fleet.api.EvaluationException} even when it names one host) is thrown
   * as it is.
   *
   * @param sink receives the pieces; see {@link EvaluationSink} for the order of calls
   * @throws io.fleet.api.FleetConfigException if {@code sink} is null, or as {@link
   *     #evaluate(String, String)}
   */
  default Fleet evaluate(String flakeRef, String configuration, EvaluationSink sink) {
    if (sink == null) {
      throw new io.fleet.api.FleetConfigException(
          "Evaluator.evaluate needs a sink: pass EvaluationSink.NONE to ignore the pieces");
    }
    Fleet fleet = evaluate(flakeRef, configuration);
    deliver(
        () -> sink.fleetEvaluated(fleet.withoutHosts(), new ArrayList<>(fleet.hosts().keySet())));
    for (Host h : fleet.hosts().values()) {
      deliver(() -> sink.hostEvaluated(h));
    }
    return fleet;
  }

  /** Calls the sink; a sink's failure is not the evaluation's. */
  private static void deliver(Runnable call) {
    try {
      call.run();
    } catch (RuntimeException ignored) {
      // See EvaluationSink: evaluators ignore what a sink throws.
    }
  }

  /**
   * The store path of the derivation that builds {@code host}'s system, where this evaluator knows
   * it (it evaluated the host); empty otherwise. Hosts with the same derivation build one system,
   * so a caller builds it once for all of them. The default knows none.
   */
  default Optional<String> systemDerivation(Host host) {
    return Optional.empty();
  }

  /**
   * Builds the systems of {@code hosts} (names in {@code fleet}) in one batch.
   *
   * @return host name to the store path of its built system, for every requested host
   * @throws io.fleet.api.EvaluationException if a build fails, naming the host where it can
   */
  Map<String, String> build(Fleet fleet, Collection<String> hosts, BuildListener listener);

  /** The closure of {@code storePaths}: every path they reference, recursively, each once. */
  List<StorePathInfo> closure(Collection<String> storePaths);

  /**
   * Writes {@code storePaths} (not their closure) to {@code out} in the format {@code nix-store
   * --import} reads, in an order where references come first.
   */
  void export(Collection<String> storePaths, OutputStream out);

  /**
   * The system derivations of {@code hosts} (names in {@code fleet}), evaluated but not built: for
   * building on the target, where the controller copies the derivation's closure ({@link
   * #derivationClosure}) and each host realises its own system. The default says this evaluator
   * cannot.
   *
   * @return host name to its system's derivation and output path, for every requested host
   * @throws io.fleet.api.EvaluationException if a host's derivation cannot be evaluated, or the
   *     evaluator does not give derivations
   */
  default Map<String, SystemDerivation> derivations(Fleet fleet, Collection<String> hosts) {
    throw new io.fleet.api.EvaluationException(
        "the evaluator "
            + this
            + " does not give system derivations, which building on the target needs: use"
            + " NixEvaluator, or build on the controller",
        List.of(),
        null);
  }

  /**
   * The closure of the derivations {@code drvPaths} as a derivation needs it to be built elsewhere:
   * the {@code .drv} files and sources, recursively (not their outputs, which need not exist). The
   * default is {@link #closure}, right for evaluators whose closure of a {@code .drv} is that.
   */
  default List<StorePathInfo> derivationClosure(Collection<String> drvPaths) {
    return closure(drvPaths);
  }

  @Override
  default void close() {}
}
