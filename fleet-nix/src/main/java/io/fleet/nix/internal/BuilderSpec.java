package io.fleet.nix.internal;

import io.fleet.api.FleetConfigException;
import io.fleet.api.Names;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Checks a value of nix's {@code builders} setting, in nix's own machine syntax: machines separated
 * by {@code ;} or newlines, each {@code URI [systems [ssh-key [max-jobs [speed-factor
 * [supported-features [mandatory-features [base64-host-key]]]]]]]} with {@code -} for a field left
 * at its default, or {@code @/path/to/machines} naming a file of such lines. The URI is an {@code
 * ssh://} ({@code nix-store --serve} on the builder) or {@code ssh-ng://} ({@code nix-daemon
 * --stdio}) store, optionally with {@code ?ssh-key=…&base64-ssh-public-host-key=…&remote-store=…}.
 * The empty string is valid: no remote builders.
 */
public final class BuilderSpec {
  private static final Pattern SYSTEM = Pattern.compile("[a-z0-9_]+-[a-z0-9_]+");
  private static final Pattern FEATURE = Pattern.compile("[A-Za-z0-9_.+-]+");
  private static final Pattern HOST = Pattern.compile("([A-Za-z0-9_.-]+@)?[A-Za-z0-9_.:\\[\\]-]+");
  private static final String[] FIELDS = {
    "store URI",
    "systems",
    "SSH key",
    "maximum jobs",
    "speed factor",
    "supported features",
    "mandatory features",
    "base64 public host key"
  };

  private BuilderSpec() {}

  /**
   * Returns {@code spec} if it is a valid {@code builders} value.
   *
   * @param what where the spec comes from, for the message ({@code "builders"}, {@code "builders of
   *     host web-1"})
   * @throws FleetConfigException naming the machine, the field and what is wrong with it
   */
  public static String check(String spec, String what) {
    if (spec == null) {
      throw new FleetConfigException(
          what + " is null: give nix's machine syntax, or \"\" for none");
    }
    List<String> problems = new ArrayList<>();
    int n = 0;
    for (String machine : spec.split("[;\n]")) {
      String m = machine.trim();
      if (m.isEmpty()) {
        continue;
      }
      n++;
      String prefix = "machine " + n + " (" + Names.quote(m) + ")";
      if (m.startsWith("@")) {
        if (m.length() < 3 || m.charAt(1) != '/' || m.contains(" ")) {
          problems.add(prefix + ": '@' must be followed by the absolute path of a machines file");
        }
        continue;
      }
      String[] f = m.split("\\s+");
      if (f.length > FIELDS.length) {
        problems.add(
            prefix
                + " has "
                + f.length
                + " fields, more than the "
                + FIELDS.length
                + " nix reads (URI, systems, SSH key, max jobs, speed factor, supported features,"
                + " mandatory features, base64 host key)");
        continue;
      }
      checkUri(f[0], prefix, problems);
      for (int i = 1; i < f.length; i++) {
        if (!f[i].equals("-")) {
          checkField(i, f[i], prefix, problems);
        }
      }
    }
    if (!problems.isEmpty()) {
      throw new FleetConfigException(
          what + " " + Names.quote(spec) + " is not valid nix machine syntax:", problems);
    }
    return spec;
  }

  private static void checkUri(String uri, String prefix, List<String> problems) {
    String rest;
    if (uri.startsWith("ssh-ng://")) {
      rest = uri.substring("ssh-ng://".length());
    } else if (uri.startsWith("ssh://")) {
      rest = uri.substring("ssh://".length());
    } else {
      problems.add(
          prefix
              + ": store URI "
              + Names.quote(uri)
              + " is neither ssh://[user@]host nor ssh-ng://[user@]host");
      return;
    }
    int q = rest.indexOf('?');
    String authority = q < 0 ? rest : rest.substring(0, q);
    if (!HOST.matcher(authority).matches()) {
      problems.add(prefix + ": " + Names.quote(authority) + " is not [user@]host");
    }
    if (q >= 0) {
      for (String param : rest.substring(q + 1).split("&")) {
        int eq = param.indexOf('=');
        if (eq <= 0) {
          problems.add(prefix + ": URI parameter " + Names.quote(param) + " is not name=value");
          continue;
        }
        String name = param.substring(0, eq);
        String value = URLDecoder.decode(param.substring(eq + 1), StandardCharsets.UTF_8);
        if (name.equals("base64-ssh-public-host-key")) {
          checkHostKey(value, prefix + ": URI parameter " + name, problems);
        } else if (name.equals("ssh-key") && !value.startsWith("/")) {
          problems.add(prefix + ": URI parameter ssh-key must be an absolute path, not " + value);
        }
      }
    }
  }

  private static void checkField(int i, String v, String prefix, List<String> problems) {
    String field = prefix + ": field " + (i + 1) + " (" + FIELDS[i] + ") " + Names.quote(v);
    switch (i) {
      case 1:
        for (String s : v.split(",")) {
          if (!SYSTEM.matcher(s).matches()) {
            problems.add(field + " is not a comma-separated list of systems like x86_64-linux");
            return;
          }
        }
        return;
      case 2:
        if (!v.startsWith("/")) {
          problems.add(field + " is not an absolute path to an SSH private key");
        }
        return;
      case 3:
        if (!v.matches("[0-9]+")) {
          problems.add(field + " is not a whole number of jobs");
        }
        return;
      case 4:
        if (!v.matches("[0-9]+(\\.[0-9]+)?") || Double.parseDouble(v) <= 0) {
          problems.add(field + " is not a positive number");
        }
        return;
      case 5:
      case 6:
        for (String s : v.split(",")) {
          if (!FEATURE.matcher(s).matches()) {
            problems.add(
                field + " is not a comma-separated list of features like kvm,big-parallel");
            return;
          }
        }
        return;
      default:
        checkHostKey(v, field, problems);
    }
  }

  /** A base64 public host key: the base64 of an OpenSSH public key line ({@code ssh-… AAAA…}). */
  private static void checkHostKey(String v, String field, List<String> problems) {
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      problems.add(field + " is not base64: " + e.getMessage());
      return;
    }
    if (!decoded.matches("(?s)(ssh-|ecdsa-|sk-)[A-Za-z0-9@._-]+ [A-Za-z0-9+/=]+.*")) {
      problems.add(
          field
              + " does not decode to an OpenSSH public key line (\"ssh-ed25519 AAAA…\"): give"
              + " base64 of the host's .pub file");
    }
  }
}
