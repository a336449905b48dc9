package io.fleet.secrets.age.internal;

import java.util.List;

/** One recipient stanza of an age header: {@code -> type args...} and a body. */
public final class Stanza {
  final String type;
  final List<String> args;
  final byte[] body;

  /** A stanza; {@code args} must be valid age strings. */
  public Stanza(String type, List<String> args, byte[] body) {
    this.type = type;
    this.args = List.copyOf(args);
    this.body = body.clone();
  }

  /** The stanza type, e.g. {@code X25519}. */
  public String type() {
    return type;
  }

  /** The arguments after the type. */
  public List<String> args() {
    return args;
  }

  /** A copy of the body. */
  public byte[] body() {
    return body.clone();
  }
}
