package io.fleet.api.data;

/**
 * How a part's bytes are written in the {@code raw} string of the original fleet's data file. An
 * encrypted part is always {@code <ENCRYPTED><BASE64-ENCODED>}.
 */
public enum PartEncoding {
  /** {@code <PLAINTEXT>text}: UTF-8 text with no newline. */
  PLAINTEXT("<PLAINTEXT>"),
  /** {@code <PLAINTEXT-NL>\ntext}: UTF-8 text with newlines, written as an indented string. */
  PLAINTEXT_NL("<PLAINTEXT-NL>"),
  /** {@code <BASE64-ENCODED>\n...}: bytes as base64 in 64-column lines. */
  BASE64("<BASE64-ENCODED>"),
  /** {@code <Z85-ENCODED>\n...}: the original's legacy encoding, read only (written as BASE64). */
  Z85("<Z85-ENCODED>");

  private final String marker;

  PartEncoding(String marker) {
    this.marker = marker;
  }

  /** The marker that starts a raw value of this encoding. */
  public String marker() {
    return marker;
  }
}
