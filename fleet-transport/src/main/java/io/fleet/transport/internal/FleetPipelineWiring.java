package io.fleet.transport.internal;

import io.fleet.api.FleetConfigException;
import io.fleet.api.spi.ComponentWiring;
import io.fleet.api.spi.WiringContext;
import io.fleet.transport.Deployer;
import io.fleet.transport.FleetPipeline;
import java.net.URI;
import java.time.Duration;
import java.util.Optional;

/**
 * Wires a {@link FleetPipeline} to a {@link WiringContext} as {@link DeployerWiring} wires a
 * deployer, so {@code fakeFleet.wired(FleetPipeline.class)} runs against the fake hosts, their
 * evaluator and the virtual clock.
 */
public final class FleetPipelineWiring implements ComponentWiring<FleetPipeline> {
  /** For {@code ServiceLoader}. */
  public FleetPipelineWiring() {}

  @Override
  public Class<FleetPipeline> type() {
    return FleetPipeline.class;
  }

  @Override
  public FleetPipeline wire(WiringContext context) {
    return FleetPipeline.builder()
        .transport(context.transport())
        .evaluator(
            context
                .evaluator()
                .orElseThrow(
                    () ->
                        new FleetConfigException(
                            "a FleetPipeline needs an evaluator and " + context + " has none")))
        .clock(context.clock(), context::sleep)
        .httpProbe(
            new Deployer.HttpProbe() {
              @Override
              public boolean isHealthy(URI url, Duration timeout) {
                return problem(url, timeout).isEmpty();
              }

              @Override
              public Optional<String> problem(URI url, Duration timeout) {
                return context.httpProblem(url, timeout);
              }
            })
        .build();
  }
}
