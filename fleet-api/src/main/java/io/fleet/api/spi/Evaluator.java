package io.fleet.api.spi;

import io.fleet.api.Fleet;
import java.io.OutputStream;
import java.util.Collection;
import java.util.List;
import java.util.Map;

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

  @Override
  default void close() {}
}
