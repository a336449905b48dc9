package io.fleet.api.deploy;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import io.fleet.api.FleetStyle;
import java.net.URI;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.immutables.value.Value;

/**
 * A check that a freshly activated host is healthy, run before the deployment is confirmed: either
 * a command on the host (an argv; exit code 0 is healthy) or an HTTP URL fetched from the machine
 * running the deployer (a 2xx status is healthy). A check is tried up to {@link #attempts()} times,
 * {@link #interval()} apart, before it counts as failed; the report of a failed HTTP check says why
 * (the status, an unknown host, a refused connection, a timeout). On fake hosts, the testkit's
 * {@code FakeFleet.deployer()} answers HTTP checks from each host's {@code httpEndpoint}s.
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableHealthCheck.class)
@JsonDeserialize(as = ImmutableHealthCheck.class)
public abstract class HealthCheck {
  HealthCheck() {}

  /** A name for reports; defaults to the command line or the URL. */
  @Value.Default
  public String name() {
    return url().orElseGet(() -> String.join(" ", command()));
  }

  /** The command to run on the host (as root when the login user is not), or empty. */
  public abstract List<String> command();

  /**
   * The {@code http}/{@code https} URL to fetch, or empty. {@code {host}} in it is replaced by the
   * host's address.
   */
  public abstract Optional<String> url();

  /** How often to try before giving up; at least 1. */
  @Value.Default
  public int attempts() {
    return 1;
  }

  /** The pause between attempts. */
  @Value.Default
  public Duration interval() {
    return Duration.ofSeconds(2);
  }

  /** The longest one attempt may take. */
  @Value.Default
  public Duration timeout() {
    return Duration.ofSeconds(30);
  }

  @Value.Check
  void check() {
    if (command().isEmpty() == url().isEmpty()) {
      throw new io.fleet.api.FleetConfigException("a health check has either a command or a URL");
    }
    url()
        .ifPresent(
            u -> {
              URI parsed;
              try {
                parsed = URI.create(u.replace("{host}", "host.example"));
              } catch (IllegalArgumentException e) {
                throw new io.fleet.api.FleetConfigException(
                    "health check URL " + u + " is not a URL: " + e.getMessage(), e);
              }
              if (!"http".equals(parsed.getScheme()) && !"https".equals(parsed.getScheme())) {
                throw new io.fleet.api.FleetConfigException(
                    "health check URL " + u + " is not an http or https URL");
              }
            });
    if (attempts() < 1) {
      throw new io.fleet.api.FleetConfigException("a health check needs at least 1 attempt");
    }
  }

  /** A check that runs {@code argv} on the host. */
  public static HealthCheck command(String... argv) {
    return builder().command(Arrays.asList(argv)).build();
  }

  /** A check that fetches {@code url} ({@code {host}} is replaced by the host's address). */
  public static HealthCheck http(String url) {
    return builder().url(url).build();
  }

  /** The URL for {@code address}, replacing the {@code {host}} placeholder. */
  public Optional<URI> urlFor(String address) {
    String host = address.contains(":") ? "[" + address + "]" : address;
    return url().map(u -> URI.create(u.replace("{host}", host)));
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /** Builds a {@link HealthCheck}. */
  public static class Builder extends ImmutableHealthCheck.Builder {}
}
