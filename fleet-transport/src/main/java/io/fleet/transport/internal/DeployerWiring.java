package io.fleet.transport.internal;

import io.fleet.api.spi.ComponentWiring;
import io.fleet.api.spi.WiringContext;
import io.fleet.transport.Deployer;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Wires a {@link Deployer} to a {@link WiringContext}: its transport, evaluator, clock and sleeper,
 * and its HTTP probe (so {@code FakeFleet.deployer()} fetches health checks from fake hosts).
 */
public final class DeployerWiring implements ComponentWiring<Deployer> {
  /** For {@code ServiceLoader}. */
  public DeployerWiring() {}

  @Override
  public Class<Deployer> type() {
    return Deployer.class;
  }

  @Override
  public Deployer wire(WiringContext context) {
    Deployer.Builder b =
        Deployer.builder()
            .transport(context.transport())
            .clock(context.clock(), context::sleep)
            .httpProbe(new ContextProbe(context));
    context.evaluator().ifPresent(b::evaluator);
    return b.build();
  }

  private static final class ContextProbe implements Deployer.HttpProbe {
    private final WiringContext context;

    ContextProbe(WiringContext context) {
      this.context = context;
    }

    @Override
    public boolean isHealthy(URI url, Duration timeout) {
      return problem(url, timeout).isEmpty();
    }

    @Override
    public Optional<String> problem(URI url, Duration timeout) {
      return context.httpProblem(url, timeout);
    }

    @Override
    public String toString() {
      return "HTTP probe of " + context;
    }
  }
}
