package io.fleet.nix.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fleet.api.FleetConfigException;
import io.fleet.api.Names;
import io.fleet.api.data.FleetData;
import io.fleet.api.data.HostData;
import io.fleet.api.data.SecretPart;
import io.fleet.api.data.SharedSecretData;
import io.fleet.api.data.StoredSecret;
import io.fleet.nix.internal.NixValue.Attrs;
import io.fleet.nix.internal.NixValue.ListValue;
import io.fleet.nix.internal.NixValue.Str;
import io.fleet.nix.internal.NixValue.StringStyle;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Maps between the value of a {@code fleet.nix} file and {@link FleetData}: which attribute is
 * which field, in which order the original writes them, and which fields are kept as unknown.
 */
public final class FleetNixCodec {
  private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
  private static final int MAX_JSON_DEPTH = NixValueParser.MAX_DEPTH;

  private static final Set<String> TOP_FIELDS =
      Set.of("version", "gcRootPrefix", "managerKeys", "hosts", "sharedSecrets", "hostSecrets");
  private static final Set<String> SECRET_FIELDS =
      Set.of("createdAt", "expiresAt", "generationData");

  private final String text;
  private final String source;

  private FleetNixCodec(String text, String source) {
    this.text = text;
    this.source = source;
  }

  // ---- reading

  /**
   * The fleet data in {@code root}, read from {@code text}.
   *
   * @throws FleetConfigException with the position of the offending value
   */
  public static FleetData toFleetData(NixValue root, String text, String source) {
    return new FleetNixCodec(text, source).read(root);
  }

  private FleetConfigException error(NixValue at, String problem) {
    return NixValueParser.error(text, source, at.offset(), problem);
  }

  private FleetConfigException errorAt(int offset, String problem) {
    return NixValueParser.error(text, source, offset, problem);
  }

  /**
   * Refuses a name that is not valid where it stands: names of hosts, secrets and parts become
   * paths on the hosts (/run/secrets/NAME/PART), so a hand-edited file must not reach elsewhere.
   */
  private void checkName(Attrs in, String key, Optional<String> problem, String where) {
    if (problem.isPresent()) {
      int offset = in.keyOffset(key) >= 0 ? in.keyOffset(key) : in.offset();
      throw errorAt(offset, where + ": the " + problem.get() + "; rename it in the file");
    }
  }

  private FleetData read(NixValue root) {
    if (!(root instanceof Attrs)) {
      throw error(root, "fleet.nix must be an attribute set, found " + root.describe());
    }
    Attrs top = (Attrs) root;
    NixValue version = top.get("version");
    if (version == null) {
      throw error(
          top,
          "fleet.nix has no `version`; a fleet.nix of version 0.1.0 starts with version = \"0.1.0\";");
    }
    String v = string(version, "version");
    if (!FleetData.VERSION.equals(v)) {
      throw error(
          version,
          "fleet.nix has version "
              + v
              + "; this library reads version "
              + FleetData.VERSION
              + " only (migrate the file with the original fleet first)");
    }
    FleetData.Builder b = FleetData.builder().version(v);
    for (Map.Entry<String, NixValue> e : top.entries().entrySet()) {
      NixValue value = e.getValue();
      switch (e.getKey()) {
        case "version":
          break;
        case "gcRootPrefix":
          b.gcRootPrefix(string(value, "gcRootPrefix"));
          break;
        case "managerKeys":
          for (NixValue item : list(value, "managerKeys").items()) {
            b.addManagerKeys(toJson(item));
          }
          break;
        case "hosts":
          for (Map.Entry<String, NixValue> h : attrs(value, "hosts").entries().entrySet()) {
            checkName((Attrs) value, h.getKey(), Names.hostNameProblem(h.getKey()), "hosts");
            b.putHosts(h.getKey(), readHost(h.getKey(), h.getValue()));
          }
          break;
        case "sharedSecrets":
          for (Map.Entry<String, NixValue> s : attrs(value, "sharedSecrets").entries().entrySet()) {
            checkName(
                (Attrs) value, s.getKey(), Names.secretNameProblem(s.getKey()), "sharedSecrets");
            b.putSharedSecrets(s.getKey(), readShared(s.getKey(), s.getValue()));
          }
          break;
        case "hostSecrets":
          for (Map.Entry<String, NixValue> h : attrs(value, "hostSecrets").entries().entrySet()) {
            String host = h.getKey();
            checkName((Attrs) value, host, Names.hostNameProblem(host), "hostSecrets");
            Map<String, StoredSecret> secrets = new TreeMap<>();
            Attrs perHost = attrs(h.getValue(), "hostSecrets." + name(host));
            for (Map.Entry<String, NixValue> s : perHost.entries().entrySet()) {
              checkName(
                  perHost,
                  s.getKey(),
                  Names.secretNameProblem(s.getKey()),
                  "hostSecrets." + name(host));
              String where = "hostSecrets." + name(host) + "." + name(s.getKey());
              secrets.put(
                  s.getKey(),
                  readSecret(attrs(s.getValue(), where), where, false, StoredSecret.builder()));
            }
            b.putHostSecrets(host, secrets);
          }
          break;
        default:
          b.putExtraFields(e.getKey(), toJson(value));
      }
    }
    return b.build();
  }

  private HostData readHost(String host, NixValue value) {
    String where = "hosts." + name(host);
    HostData.Builder hb = HostData.builder();
    for (Map.Entry<String, NixValue> f : attrs(value, where).entries().entrySet()) {
      if (f.getKey().equals("encryptionKey")) {
        hb.encryptionKey(string(f.getValue(), where + ".encryptionKey"));
      } else {
        hb.putExtraFields(f.getKey(), toJson(f.getValue()));
      }
    }
    return hb.build();
  }

  private SharedSecretData readShared(String name, NixValue value) {
    String where = "sharedSecrets." + name(name);
    Attrs s = attrs(value, where);
    SharedSecretData.Builder sb = SharedSecretData.builder();
    NixValue owners = s.get("owners");
    if (owners != null) {
      Set<String> seen = new HashSet<>();
      for (NixValue o : list(owners, where + ".owners").items()) {
        String owner = string(o, "an owner in " + where + ".owners");
        Optional<String> problem = Names.hostNameProblem(owner);
        if (problem.isPresent()) {
          throw error(o, where + ".owners: the owner's " + problem.get() + "; fix the file");
        }
        if (!seen.add(owner)) {
          throw error(
              o, where + ".owners lists " + Names.quote(owner) + " twice; list each host once");
        }
        sb.addOwners(owner);
      }
    }
    return sb.secret(readSecret(s, where, true, StoredSecret.builder())).build();
  }

  private StoredSecret readSecret(Attrs s, String where, boolean shared, StoredSecret.Builder sb) {
    boolean created = false;
    for (Map.Entry<String, NixValue> f : s.entries().entrySet()) {
      String key = f.getKey();
      NixValue value = f.getValue();
      switch (key) {
        case "createdAt":
          sb.createdAt(instant(value, where + ".createdAt"));
          created = true;
          break;
        case "expiresAt":
          if (!(value instanceof NixValue.Null)) {
            sb.expiresAt(instant(value, where + ".expiresAt"));
          }
          break;
        case "generationData":
          sb.generationData(toJson(value));
          break;
        default:
          if (shared && key.equals("owners")) {
            break;
          }
          if (value instanceof Attrs && ((Attrs) value).get("raw") != null) {
            checkName(s, key, Names.partNameProblem(key), where);
            sb.putParts(key, readPart((Attrs) value, where + "." + name(key)));
          } else {
            sb.putExtraFields(key, toJson(value));
          }
      }
    }
    if (!created) {
      throw error(
          s,
          where
              + " has no `createdAt`; every stored secret records when it was generated"
              + " (createdAt = \"2026-01-01T00:00:00Z\";)");
    }
    return sb.build();
  }

  private SecretPart readPart(Attrs part, String where) {
    if (part.entries().size() != 1) {
      for (String k : part.entries().keySet()) {
        if (!k.equals("raw")) {
          throw errorAt(
              part.keyOffset(k) >= 0 ? part.keyOffset(k) : part.offset(),
              "the secret part "
                  + where
                  + " has an unknown field `"
                  + k
                  + "`; a part holds only `raw`");
        }
      }
    }
    NixValue raw = part.get("raw");
    String r = string(raw, where + ".raw");
    try {
      return SecretPart.parseRaw(r);
    } catch (FleetConfigException e) {
      throw error(raw, "the secret part " + where + ": " + e.getMessage());
    }
  }

  private Instant instant(NixValue v, String where) {
    String s = string(v, where);
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw error(
          v,
          where
              + " is not a timestamp: \""
              + s
              + "\"; expected an RFC 3339 time such as 2026-10-31T15:56:14.455824009Z");
    }
  }

  private String string(NixValue v, String where) {
    if (!(v instanceof Str)) {
      throw error(v, where + " must be a string, found " + v.describe());
    }
    return ((Str) v).value();
  }

  private Attrs attrs(NixValue v, String where) {
    if (!(v instanceof Attrs)) {
      throw error(v, where + " must be an attribute set, found " + v.describe());
    }
    return (Attrs) v;
  }

  private ListValue list(NixValue v, String where) {
    if (!(v instanceof ListValue)) {
      throw error(v, where + " must be a list, found " + v.describe());
    }
    return (ListValue) v;
  }

  private static String name(String key) {
    return NixValueWriter.attrName(key);
  }

  /** {@code v} as JSON: sets keep their order, integers that fit an int become int nodes. */
  public static JsonNode toJson(NixValue v) {
    if (v instanceof Attrs) {
      ObjectNode o = JSON.objectNode();
      for (Map.Entry<String, NixValue> e : ((Attrs) v).entries().entrySet()) {
        o.set(e.getKey(), toJson(e.getValue()));
      }
      return o;
    }
    if (v instanceof ListValue) {
      ArrayNode a = JSON.arrayNode();
      for (NixValue item : ((ListValue) v).items()) {
        a.add(toJson(item));
      }
      return a;
    }
    if (v instanceof Str) {
      return JSON.textNode(((Str) v).value());
    }
    if (v instanceof NixValue.Int) {
      long n = ((NixValue.Int) v).value();
      return n == (int) n ? JSON.numberNode((int) n) : JSON.numberNode(n);
    }
    if (v instanceof NixValue.Float) {
      return JSON.numberNode(((NixValue.Float) v).value());
    }
    if (v instanceof NixValue.Bool) {
      return JSON.booleanNode(((NixValue.Bool) v).value());
    }
    return JSON.nullNode();
  }

  // ---- writing

  /**
   * The value of a {@code fleet.nix} file holding {@code data}, its fields in the original's order.
   *
   * @param hint the value read from the file's previous version, or null; it decides whether empty
   *     optional sections are written
   * @throws FleetConfigException if {@code data} cannot be written as {@code fleet.nix}
   */
  public static Attrs toNix(FleetData data, NixValue hint) {
    if (!FleetData.VERSION.equals(data.version())) {
      throw new FleetConfigException(
          "cannot write fleet data of version "
              + data.version()
              + " as fleet.nix: this library writes version "
              + FleetData.VERSION);
    }
    java.util.List<String> problems = data.nameProblems();
    if (!problems.isEmpty()) {
      throw new FleetConfigException(
          "cannot write fleet.nix: invalid names, which could not be read back; rename them",
          problems);
    }
    Attrs old = hint instanceof Attrs ? (Attrs) hint : null;
    Attrs top = new Attrs(true);
    top.put("version", new Str(data.version(), StringStyle.QUOTED));
    data.gcRootPrefix().ifPresent(p -> top.put("gcRootPrefix", new Str(p, StringStyle.QUOTED)));
    if (!data.managerKeys().isEmpty() || (old == null || old.get("managerKeys") != null)) {
      ListValue keys = new ListValue();
      for (JsonNode k : data.managerKeys()) {
        keys.add(fromJson(k, 3));
      }
      top.put("managerKeys", keys);
    }
    if (!data.hosts().isEmpty() || old == null || old.get("hosts") != null) {
      Attrs hosts = new Attrs(true);
      for (Map.Entry<String, HostData> h : data.hosts().entrySet()) {
        Attrs host = new Attrs(true);
        h.getValue()
            .encryptionKey()
            .ifPresent(k -> host.put("encryptionKey", new Str(k, StringStyle.QUOTED)));
        for (Map.Entry<String, JsonNode> f : h.getValue().extraFields().entrySet()) {
          if (f.getKey().equals("encryptionKey")) {
            throw clash("host " + h.getKey(), f.getKey());
          }
          host.put(f.getKey(), fromJson(f.getValue(), 4));
        }
        hosts.put(h.getKey(), host);
      }
      top.put("hosts", hosts);
    }
    if (!data.sharedSecrets().isEmpty() || (old != null && old.get("sharedSecrets") != null)) {
      Attrs shared = new Attrs(true);
      for (Map.Entry<String, SharedSecretData> s : data.sharedSecrets().entrySet()) {
        Attrs secret = new Attrs(true);
        ListValue owners = new ListValue();
        for (String o : s.getValue().owners()) {
          owners.add(new Str(o, StringStyle.QUOTED));
        }
        secret.put("owners", owners);
        writeSecret(secret, s.getValue().secret(), "shared secret " + s.getKey(), true, 4);
        shared.put(s.getKey(), secret);
      }
      top.put("sharedSecrets", shared);
    }
    if (!data.hostSecrets().isEmpty() || (old != null && old.get("hostSecrets") != null)) {
      Attrs hostSecrets = new Attrs(true);
      for (Map.Entry<String, Map<String, StoredSecret>> h : data.hostSecrets().entrySet()) {
        Attrs perHost = new Attrs(true);
        for (Map.Entry<String, StoredSecret> s : new TreeMap<>(h.getValue()).entrySet()) {
          Attrs secret = new Attrs(true);
          writeSecret(
              secret, s.getValue(), "host secret " + h.getKey() + "/" + s.getKey(), false, 5);
          perHost.put(s.getKey(), secret);
        }
        hostSecrets.put(h.getKey(), perHost);
      }
      top.put("hostSecrets", hostSecrets);
    }
    for (Map.Entry<String, JsonNode> f : data.extraFields().entrySet()) {
      if (TOP_FIELDS.contains(f.getKey())) {
        throw clash("the fleet data", f.getKey());
      }
      top.put(f.getKey(), fromJson(f.getValue(), 2));
    }
    return top;
  }

  private static void writeSecret(
      Attrs out, StoredSecret s, String what, boolean shared, int fieldLevel) {
    out.put("createdAt", new Str(s.createdAt().toString(), StringStyle.QUOTED));
    s.expiresAt().ifPresent(e -> out.put("expiresAt", new Str(e.toString(), StringStyle.QUOTED)));
    for (Map.Entry<String, SecretPart> p : s.parts().entrySet()) {
      String name = p.getKey();
      if (SECRET_FIELDS.contains(name) || (shared && name.equals("owners"))) {
        throw new FleetConfigException(
            what
                + " has a part named `"
                + name
                + "`, which fleet.nix cannot hold: the name is a field of every secret; rename the"
                + " part");
      }
      if (s.extraFields().containsKey(name)) {
        throw clash(what, name);
      }
      Attrs part = new Attrs(true);
      part.put("raw", new Str(p.getValue().raw(), StringStyle.INDENTED));
      out.put(name, part);
    }
    s.generationData().ifPresent(g -> out.put("generationData", fromJson(g, fieldLevel)));
    for (Map.Entry<String, JsonNode> f : s.extraFields().entrySet()) {
      String name = f.getKey();
      if (SECRET_FIELDS.contains(name) || (shared && name.equals("owners"))) {
        throw clash(what, name);
      }
      JsonNode v = f.getValue();
      if (v.isObject() && v.has("raw")) {
        throw new FleetConfigException(
            what
                + " has an unknown field `"
                + name
                + "` holding a `raw` attribute; fleet.nix would read it back as a secret part");
      }
      out.put(name, fromJson(v, fieldLevel));
    }
  }

  private static FleetConfigException clash(String what, String field) {
    return new FleetConfigException(
        what
            + " has an unknown field named `"
            + field
            + "`, which clashes with a field fleet.nix defines; it cannot be written");
  }

  /**
   * {@code node} as a Nix data value at {@code level} of the file (the top set is level 1), refused
   * past {@link NixValueParser#MAX_DEPTH}, so that whatever is written can be read back.
   */
  private static NixValue fromJson(JsonNode node, int depth) {
    if (depth > MAX_JSON_DEPTH) {
      throw new FleetConfigException(
          "a JSON value would be nested more than "
              + MAX_JSON_DEPTH
              + " levels deep in fleet.nix, more than it can be read back with; flatten the value");
    }
    if (node.isObject()) {
      Attrs a = new Attrs(false);
      for (Map.Entry<String, JsonNode> e : node.properties()) {
        a.put(e.getKey(), fromJson(e.getValue(), depth + 1));
      }
      return a;
    }
    if (node.isArray()) {
      ListValue l = new ListValue();
      for (JsonNode item : node) {
        l.add(fromJson(item, depth + 1));
      }
      return l;
    }
    if (node.isTextual()) {
      return new Str(node.textValue(), StringStyle.QUOTED);
    }
    if (node.isIntegralNumber()) {
      if (!node.canConvertToLong()) {
        throw new FleetConfigException(
            "the integer " + node + " cannot be written in fleet.nix: Nix integers are 64-bit");
      }
      return new NixValue.Int(node.longValue());
    }
    if (node.isNumber()) {
      return new NixValue.Float(node.doubleValue());
    }
    if (node.isBoolean()) {
      return new NixValue.Bool(node.booleanValue());
    }
    if (node.isNull()) {
      return new NixValue.Null();
    }
    throw new FleetConfigException(
        "a " + node.getNodeType() + " JSON value cannot be written in fleet.nix");
  }
}
