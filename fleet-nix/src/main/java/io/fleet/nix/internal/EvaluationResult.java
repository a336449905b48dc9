package io.fleet.nix.internal;

import com.fasterxml.jackson.databind.JsonNode;
import io.fleet.api.DeployTarget;
import io.fleet.api.EvaluationException;
import io.fleet.api.Fleet;
import io.fleet.api.FleetConfigException;
import io.fleet.api.GeneratorSpec;
import io.fleet.api.Host;
import io.fleet.api.Names;
import io.fleet.api.SecretSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON printed by {@code evaluate.nix} (one {@code nix eval --json}), turned into a {@link
 * Fleet} plus, per host, the derivation and output path of its system.
 */
public final class EvaluationResult {
  /** Format version written by {@code evaluate.nix}; bumped on incompatible changes. */
  public static final int FORMAT = 1;

  private final Fleet fleet;
  private final Map<String, SystemDerivation> systems;
  private final String nixVersion;

  private EvaluationResult(Fleet fleet, Map<String, SystemDerivation> systems, String nixVersion) {
    this.fleet = fleet;
    this.systems = systems;
    this.nixVersion = nixVersion;
  }

  /** A host's system: the installable that builds it, its derivation and its output path. */
  public static final class SystemDerivation {
    private final String attribute;
    private final String drvPath;
    private final String outPath;

    SystemDerivation(String attribute, String drvPath, String outPath) {
      this.attribute = attribute;
      this.drvPath = drvPath;
      this.outPath = outPath;
    }

    /** The flake installable, {@code <flake>#fleetConfigurations."<cfg>".hosts."<h>".toplevel}. */
    public String attribute() {
      return attribute;
    }

    /** The {@code .drv} store path. */
    public String drvPath() {
      return drvPath;
    }

    /** The output path the build will produce. */
    public String outPath() {
      return outPath;
    }
  }

  /** The evaluated fleet. */
  public Fleet fleet() {
    return fleet;
  }

  /** Host name to its system's derivation. */
  public Map<String, SystemDerivation> systems() {
    return systems;
  }

  /** {@code builtins.nixVersion} of the nix that evaluated. */
  public String nixVersion() {
    return nixVersion;
  }

  /**
   * Parses the output of {@code evaluate.nix}.
   *
   * @param attributePrefix {@code <flake>#fleetConfigurations."<cfg>"}, to which {@code
   *     .hosts."<h>".toplevel} is appended for each host's {@link Host#systemAttribute()}
   * @throws EvaluationException if the JSON is not what {@code evaluate.nix} prints
   * @throws FleetConfigException if a value in it is invalid (such as a deploy target)
   */
  public static EvaluationResult parse(
      JsonNode root, String configuration, String attributePrefix, List<String> command) {
    int format = root.path("format").asInt(-1);
    if (format != FORMAT) {
      throw new EvaluationException(
          "nix printed an unexpected evaluation result (format "
              + format
              + ", expected "
              + FORMAT
              + "); is evaluate.nix from a different fleet-nix version?",
          command,
          0,
          "",
          null);
    }
    Fleet.Builder fleet = Fleet.builder().name(configuration);
    Map<String, SystemDerivation> systems = new LinkedHashMap<>();
    for (Map.Entry<String, JsonNode> e : root.path("hosts").properties()) {
      String name = e.getKey();
      JsonNode h = e.getValue();
      String attribute = attributePrefix + ".hosts." + quoteAttr(name) + ".toplevel";
      systems.put(
          name,
          new SystemDerivation(
              attribute, h.path("drvPath").asText(null), h.path("outputPath").asText(null)));
      Host.Builder hb = Host.builder();
      hb.name(name);
      hb.system(h.path("system").asText("x86_64-linux"));
      h.path("tags").forEach(t -> hb.addTags(t.asText()));
      JsonNode target = h.path("deployTarget");
      if (!target.isMissingNode() && !target.isNull()) {
        try {
          hb.target(target(target));
        } catch (FleetConfigException ex) {
          throw new FleetConfigException("host " + Names.quote(name) + ": " + ex.getMessage(), ex);
        }
      }
      hb.systemAttribute(attribute);
      for (Map.Entry<String, JsonNode> se : h.path("secrets").properties()) {
        hb.putSecrets(se.getKey(), secret(se.getKey(), se.getValue()));
      }
      fleet.host(hb.build());
    }
    for (Map.Entry<String, JsonNode> e : root.path("sharedSecrets").properties()) {
      fleet.sharedSecret(secret(e.getKey(), e.getValue()));
    }
    for (Map.Entry<String, JsonNode> e : root.path("settings").properties()) {
      fleet.setting(e.getKey(), e.getValue());
    }
    List<String> modules = new ArrayList<>();
    root.path("modules").forEach(m -> modules.add(m.asText()));
    modules.forEach(
        m ->
            fleet.module(
                new io.fleet.api.FleetModule() {
                  @Override
                  public void configure(Fleet.Builder f) {}

                  @Override
                  public String name() {
                    return m;
                  }
                }));
    return new EvaluationResult(fleet.build(), systems, root.path("nixVersion").asText(""));
  }

  private static DeployTarget target(JsonNode t) {
    if (t.isTextual()) {
      return DeployTarget.parse(t.asText());
    }
    if (!t.isObject() || !t.hasNonNull("address")) {
      throw new FleetConfigException(
          "deployTarget must be \"[user@]address[:port]\" or { address; user; port; jumpHost; }");
    }
    DeployTarget.Builder b = DeployTarget.builder();
    b.address(t.get("address").asText());
    if (t.hasNonNull("user")) {
      b.user(t.get("user").asText());
    }
    if (t.hasNonNull("port")) {
      b.port(t.get("port").asInt());
    }
    if (t.hasNonNull("jumpHost")) {
      b.jumpHost(target(t.get("jumpHost")));
    }
    return b.build();
  }

  private static SecretSpec secret(String name, JsonNode s) {
    SecretSpec.Builder b = SecretSpec.builder();
    b.name(name);
    s.path("owners").forEach(o -> b.addOwners(o.asText()));
    if (s.path("regenerateOnOwnerAdded").isBoolean()) {
      b.regenerateOnOwnerAdded(s.get("regenerateOnOwnerAdded").asBoolean());
    }
    if (s.path("regenerateOnOwnerRemoved").isBoolean()) {
      b.regenerateOnOwnerRemoved(s.get("regenerateOnOwnerRemoved").asBoolean());
    }
    JsonNode g = s.path("generator");
    if (g.isObject()) {
      GeneratorSpec.Builder gb = GeneratorSpec.builder();
      gb.kind(g.path("kind").asText());
      for (Map.Entry<String, JsonNode> p : g.path("parameters").properties()) {
        gb.putParameters(p.getKey(), p.getValue());
      }
      if (g.hasNonNull("runOn")) {
        gb.runOn(g.get("runOn").asText());
      }
      b.generator(gb.build());
    }
    if (s.hasNonNull("expectedGenerationData")) {
      b.expectedGenerationData(s.get("expectedGenerationData"));
    }
    if (s.hasNonNull("renewBeforeSeconds")) {
      b.renewBefore(Duration.ofSeconds(s.get("renewBeforeSeconds").asLong()));
    }
    s.path("dependsOn").forEach(d -> b.addDependsOn(d.asText()));
    if (s.hasNonNull("owner")) {
      b.fileOwner(s.get("owner").asText());
    }
    if (s.hasNonNull("group")) {
      b.fileGroup(s.get("group").asText());
    }
    if (s.hasNonNull("mode")) {
      b.fileMode(s.get("mode").asText());
    }
    return b.build();
  }

  /** A Nix attribute name in double quotes, as nix's attribute paths accept. */
  public static String quoteAttr(String name) {
    return "\"" + name.replace("\\", "\\\\").replace("\"", "\\\"").replace("$", "\\$") + "\"";
  }
}
