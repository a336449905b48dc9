package io.fleet.api;

/**
 * A module that configures several hosts at once, such as a WireGuard mesh or a Kubernetes control
 * plane: the original fleet's multi-host modules. A module is a value; the same class can be
 * instantiated twice with different hosts and both instances added to one fleet.
 *
 * <p>{@link Fleet.Builder#build()} applies modules in the order they were added, after every host
 * given directly, so a module may configure hosts declared after it. A module configures hosts with
 * {@link Fleet.Builder#host(String, java.util.function.Consumer)} (which adds to an existing host)
 * and adds secrets with {@link Fleet.Builder#sharedSecret}.
 */
@FunctionalInterface
public interface FleetModule {
  /** Configures the fleet under construction. */
  void configure(Fleet.Builder fleet);

  /**
   * A name for reports and {@link Fleet#modules()}: the class name unless overridden; for a lambda
   * or an anonymous class, which have none, {@code "lambda module in <DeclaringClass>"} or {@code
   * "anonymous module in <DeclaringClass>"} (name such a module with {@link #named}).
   */
  default String name() {
    return ModuleNames.defaultName(getClass());
  }

  /**
   * A module named {@code name} that runs {@code configure}: for modules written as lambdas, so
   * that {@link Fleet#modules()} and reports show a name.
   *
   * <pre>{@code
   * Fleet.builder().module(FleetModule.named("monitoring", f -> f.host("mon-1", h -> h.tags("mon"))))
   * }</pre>
   *
   * @throws FleetConfigException if {@code name} is null or blank, or {@code configure} is null
   */
  static FleetModule named(String name, java.util.function.Consumer<Fleet.Builder> configure) {
    return ModuleNames.named(name, configure);
  }
}
