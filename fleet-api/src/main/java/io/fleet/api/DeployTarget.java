package io.fleet.api;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.immutables.value.Value;

/**
 * Where and as whom to reach a host over SSH: {@code user@address:port}, optionally through a jump
 * host (OpenSSH {@code ProxyJump} semantics).
 */
@Value.Immutable
@FleetStyle
@JsonSerialize(as = ImmutableDeployTarget.class)
@JsonDeserialize(as = ImmutableDeployTarget.class)
public abstract class DeployTarget {
  private static final Pattern SPEC =
      Pattern.compile("(?:([^@\\s]+)@)?(\\[[^\\]\\s]+\\]|[^:@\\s\\[\\]]+)(?::(\\d{1,5}))?");
  private static final Pattern ADDRESS = Pattern.compile("[A-Za-z0-9._%:-]+");
  private static final Pattern USER = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

  DeployTarget() {}

  /** The login user; {@code root} unless set. */
  @Value.Default
  public String user() {
    return "root";
  }

  /** The host name or IP address to connect to (an IPv6 address without brackets). */
  public abstract String address();

  /** The SSH port; 22 unless set. */
  @Value.Default
  public int port() {
    return 22;
  }

  /** The host to jump through first, if any. */
  public abstract Optional<DeployTarget> jumpHost();

  /** Whether commands need {@code sudo} (the user is not root). */
  @Value.Derived
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean needsSudo() {
    return !"root".equals(user());
  }

  /** A builder. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * {@code root@address:22}.
   *
   * @throws FleetConfigException if {@code address} is null
   */
  public static DeployTarget of(String address) {
    if (address == null) {
      throw new FleetConfigException("deploy address is null: give a host name or IP address");
    }
    return builder().address(address).build();
  }

  /**
   * Parses {@code [user@]address[:port]}; an IPv6 address goes in brackets ({@code
   * root@[::1]:2222}). The user defaults to {@code root} and the port to 22. The address is checked
   * further by {@link Fleet#validate()}.
   *
   * @throws FleetConfigException if the text is not of that form
   */
  public static DeployTarget parse(String spec) {
    if (spec == null) {
      throw new FleetConfigException("deploy target is missing: give it as [user@]address[:port]");
    }
    Matcher m = SPEC.matcher(spec.trim());
    if (!m.matches()) {
      throw new FleetConfigException(
          "deploy target "
              + Names.quote(spec)
              + " is not of the form [user@]address[:port] (IPv6 addresses go in brackets)");
    }
    Builder b = builder();
    if (m.group(1) != null) {
      b.user(m.group(1));
    }
    String address = m.group(2);
    if (address.startsWith("[")) {
      address = address.substring(1, address.length() - 1);
    }
    b.address(address);
    if (m.group(3) != null) {
      int port = Integer.parseInt(m.group(3));
      if (port < 1 || port > 65535) {
        throw new FleetConfigException(
            "deploy target " + Names.quote(spec) + " has port " + port + ": use 1..65535");
      }
      b.port(port);
    }
    return b.build();
  }

  /** Problems with this target, for {@link Fleet#validate()}; empty when it is fine. */
  java.util.List<String> problems(String host) {
    java.util.List<String> problems = new java.util.ArrayList<>();
    if (!ADDRESS.matcher(address()).matches() || address().startsWith("-")) {
      problems.add(
          "host "
              + Names.quote(host)
              + ": deploy address "
              + Names.quote(address())
              + " is not a host name or IP address: give a DNS name, IPv4 or IPv6 address");
    }
    if (!USER.matcher(user()).matches()) {
      problems.add(
          "host "
              + Names.quote(host)
              + ": deploy user "
              + Names.quote(user())
              + " is not a valid user name: use lower-case letters, digits, '_', '.' and '-'");
    }
    if (port() < 1 || port() > 65535) {
      problems.add("host " + Names.quote(host) + ": deploy port " + port() + " is not in 1..65535");
    }
    jumpHost().ifPresent(j -> problems.addAll(j.problems(host)));
    return problems;
  }

  /** {@code user@address:port} (IPv6 in brackets), the form {@link #parse} reads. */
  public String spec() {
    String a = address().contains(":") ? "[" + address() + "]" : address();
    return user() + "@" + a + ":" + port();
  }

  /** Builds a {@link DeployTarget}. */
  public static class Builder extends ImmutableDeployTarget.Builder {}
}
