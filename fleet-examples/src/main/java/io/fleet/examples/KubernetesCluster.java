package io.fleet.examples;

import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.FleetModule;
import io.fleet.api.Generators;
import java.time.Duration;
import java.util.List;

/**
 * A multi-host module, as the seed's {@code (import ./kubernetes {hosts = ["a" "b"];})}: the first
 * host is the control plane, the others are workers; the cluster gets its own CA and an API server
 * certificate shared by its hosts. Instantiate it once per cluster.
 */
public final class KubernetesCluster implements FleetModule {
  private final String cluster;
  private final List<String> hosts;

  /**
   * A cluster named {@code cluster} over {@code hosts} (the first is the control plane).
   *
   * @throws FleetConfigException if the name is missing or there are no hosts
   */
  public KubernetesCluster(String cluster, List<String> hosts) {
    if (cluster == null
        || hosts == null
        || hosts.isEmpty()
        || hosts.stream().anyMatch(java.util.Objects::isNull)) {
      throw new FleetConfigException(
          "kubernetes cluster " + cluster + " needs a name and at least one host, got " + hosts);
    }
    this.cluster = cluster;
    this.hosts = List.copyOf(hosts);
  }

  /** Tags the hosts and declares the cluster's CA and API server certificate. */
  @Override
  public void configure(Fleet.Builder fleet) {
    for (int i = 0; i < hosts.size(); i++) {
      String role = i == 0 ? "k8s-cp" : "k8s-worker";
      fleet.host(hosts.get(i), h -> h.tags("k8s", role, "k8s-" + cluster));
    }
    String ca = cluster + "-ca.pem";
    fleet.sharedSecret(
        ca,
        s ->
            s.owners(hosts)
                .regenerateOnOwnerAdded(false)
                .generator(Generators.x509Ca(cluster + "-kubernetes-ca", Duration.ofDays(365))));
    fleet.sharedSecret(
        cluster + "-apiserver.pem",
        s ->
            s.owners(List.of(hosts.get(0)))
                .regenerateOnOwnerAdded(true)
                .dependsOn(ca)
                .renewBefore(Duration.ofDays(30))
                .generator(
                    Generators.x509Leaf(
                        ca,
                        "kubernetes",
                        List.of(hosts.get(0), "kubernetes.default"),
                        Duration.ofDays(90))));
  }

  /** {@code kubernetes(<cluster>: <hosts>)}. */
  @Override
  public String name() {
    return "kubernetes(" + cluster + ": " + String.join(", ", hosts) + ")";
  }
}
