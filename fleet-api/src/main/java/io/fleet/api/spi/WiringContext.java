package io.fleet.api.spi;

import io.fleet.api.Fleet;
import io.fleet.api.data.FleetDataStore;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * The parts a {@link ComponentWiring} wires a component from: the fleet, how to reach its hosts,
 * how to build their systems, the clock and how to wait on it, how to fetch an HTTP health check,
 * and (for a secret rotation) where the fleet data is kept. The testkit's {@code FakeFleet} offers
 * its fake hosts, fake evaluator, virtual clock and fake HTTP endpoints this way.
 */
public interface WiringContext {
  /** The fleet the component works on. */
  Fleet fleet();

  /** The transport to the fleet's hosts. */
  Transport transport();

  /** The evaluator that builds systems and describes and exports closures, if any. */
  Optional<Evaluator> evaluator();

  /** The clock for timings and deadlines. */
  Clock clock();

  /** Waits {@code d} on {@link #clock()}. */
  void sleep(Duration d) throws InterruptedException;

  /**
   * Fetches {@code url} with a GET: empty when it answers a 2xx status within {@code timeout},
   * otherwise why not (the status, an unknown host, a refused connection, a timeout).
   */
  Optional<String> httpProblem(URI url, Duration timeout);

  /** Where the fleet data is kept, when the component needs it (a secret rotation does). */
  Optional<FleetDataStore> store();
}
