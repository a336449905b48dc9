package io.fleet.nix.internal;

import io.fleet.api.FleetConfigException;
import io.fleet.nix.internal.NixValue.Attrs;
import io.fleet.nix.internal.NixValue.Layout;
import io.fleet.nix.internal.NixValue.ListValue;
import io.fleet.nix.internal.NixValue.Str;
import io.fleet.nix.internal.NixValue.StringStyle;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link NixValue} as {@code fleet.nix} text in the original fleet's layout: a header
 * comment, the value, and a vim modeline; two-space indentation; a set with one attribute as an
 * attribute path ({@code public.raw = …;}); structural sets one attribute per line; data sets and
 * lists on one line when that fits in 120 columns; multi-line secret parts as indented strings.
 *
 * <p>When given the value read from the previous version of the file ({@code hint}), every set,
 * list and unchanged string that is still there is written in the layout it had, so a load and save
 * changes only what was changed.
 */
public final class NixValueWriter {
  /** The first lines of every file. */
  public static final String HEADER =
      "# This file contains fleet state and shouldn't be edited by hand\n\n";

  /** The last lines of every file. */
  public static final String FOOTER = "\n\n# vim: ts=2 et nowrap\n";

  static final int WIDTH = 120;

  private enum Mode {
    BLOCK,
    INLINE,
    RAW
  }

  private StringBuilder out;

  private NixValueWriter(StringBuilder out) {
    this.out = out;
  }

  /**
   * The text of a {@code fleet.nix} file holding {@code root}.
   *
   * @param hint the value read from the file's previous version, or null
   * @throws FleetConfigException if a value cannot be written as Nix (a NUL character)
   */
  public static String writeFile(Attrs root, NixValue hint) {
    StringBuilder sb = new StringBuilder(1 << 16);
    sb.append(HEADER);
    NixValueWriter w = new NixValueWriter(sb);
    Layout top = hint instanceof Attrs ? ((Attrs) hint).layout() : null;
    Mode mode = top == Layout.RAW ? Mode.RAW : Mode.BLOCK;
    w.writeAttrs(root, hint, 0, mode, top == Layout.RAW ? Layout.RAW : Layout.BLOCK);
    sb.append(FOOTER);
    return sb.toString();
  }

  /** {@code value} as Nix text, without header and footer. */
  public static String write(NixValue value) {
    StringBuilder sb = new StringBuilder();
    new NixValueWriter(sb).writeValue(value, null, 0, Mode.BLOCK, false);
    return sb.toString();
  }

  /** An attribute name: bare if it is a plain identifier, else quoted. */
  public static String attrName(String name) {
    if (isPlainName(name)) {
      return name;
    }
    StringBuilder sb = new StringBuilder(name.length() + 2);
    quote(name, sb);
    return sb.toString();
  }

  private static boolean isPlainName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    char c = name.charAt(0);
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_')) {
      return false;
    }
    for (int i = 1; i < name.length(); i++) {
      c = name.charAt(i);
      if (!((c >= 'a' && c <= 'z')
          || (c >= 'A' && c <= 'Z')
          || (c >= '0' && c <= '9')
          || c == '_'
          || c == '-')) {
        return false;
      }
    }
    switch (name) {
      case "if":
      case "then":
      case "else":
      case "assert":
      case "with":
      case "let":
      case "in":
      case "rec":
      case "inherit":
      case "or":
        return false;
      default:
        return true;
    }
  }

  // ---- values

  private void writeValue(NixValue v, NixValue hint, int indent, Mode mode, boolean inList) {
    if (v instanceof Attrs) {
      writeAttrsValue((Attrs) v, hint, indent, mode);
    } else if (v instanceof ListValue) {
      writeList((ListValue) v, hint, indent, mode);
    } else if (v instanceof Str) {
      writeString((Str) v, hint, indent, mode);
    } else if (v instanceof NixValue.Int) {
      long n = ((NixValue.Int) v).value();
      if (n == Long.MIN_VALUE) {
        throw new FleetConfigException(
            "the integer "
                + n
                + " cannot be written in fleet.nix: Nix reads integer literals up to "
                + Long.MAX_VALUE
                + " only, and its negation");
      }
      if (n < 0 && inList) {
        out.append('(').append(n).append(')');
      } else {
        out.append(n);
      }
    } else if (v instanceof NixValue.Float) {
      double d = ((NixValue.Float) v).value();
      if (Double.isNaN(d) || Double.isInfinite(d)) {
        throw new FleetConfigException(
            "the float " + d + " cannot be written in fleet.nix: Nix has no NaN or infinity");
      }
      String s = Double.toString(d);
      if (d < 0 && inList) {
        out.append('(').append(s).append(')');
      } else {
        out.append(s);
      }
    } else if (v instanceof NixValue.Bool) {
      out.append(((NixValue.Bool) v).value() ? "true" : "false");
    } else if (v instanceof NixValue.Null) {
      out.append("null");
    } else {
      throw new IllegalArgumentException("unknown value " + v);
    }
  }

  private void writeAttrsValue(Attrs a, NixValue hint, int indent, Mode mode) {
    if (a.entries().isEmpty()) {
      out.append("{ }");
      return;
    }
    Layout hinted = hint instanceof Attrs ? ((Attrs) hint).layout() : null;
    writeAttrs(a, hint, indent, mode, form(a, hint, hinted, mode, a.structural()));
  }

  /**
   * How to lay out the set or list {@code v}: inline inside an inline value, else as it was laid
   * out before ({@code hinted}), else raw inside a raw value, else one item per line for a
   * structural set, else inline if that fits.
   */
  private Layout form(NixValue v, NixValue hint, Layout hinted, Mode mode, boolean structural) {
    if (mode == Mode.INLINE) {
      return Layout.INLINE;
    } else if (hinted == Layout.INLINE || hinted == Layout.BLOCK || hinted == Layout.RAW) {
      return hinted;
    } else if (mode == Mode.RAW) {
      return Layout.RAW;
    } else if (structural) {
      return Layout.BLOCK;
    } else {
      return fitsInline(v, hint) ? Layout.INLINE : Layout.BLOCK;
    }
  }

  private void writeAttrs(Attrs a, NixValue hint, int indent, Mode mode, Layout form) {
    Attrs h = hint instanceof Attrs ? (Attrs) hint : null;
    switch (form) {
      case INLINE:
        out.append("{ ");
        for (Map.Entry<String, NixValue> e : a.entries().entrySet()) {
          writeBinding(e.getKey(), e.getValue(), child(h, e.getKey()), indent, Mode.INLINE);
          out.append(' ');
        }
        out.append('}');
        break;
      case RAW:
        out.append('{');
        for (Map.Entry<String, NixValue> e : a.entries().entrySet()) {
          writeBinding(e.getKey(), e.getValue(), child(h, e.getKey()), 0, Mode.RAW);
          out.append('\n');
        }
        out.append('}');
        break;
      default:
        out.append("{\n");
        for (Map.Entry<String, NixValue> e : a.entries().entrySet()) {
          spaces(indent + 2);
          writeBinding(e.getKey(), e.getValue(), child(h, e.getKey()), indent + 2, Mode.BLOCK);
          out.append('\n');
        }
        spaces(indent);
        out.append('}');
        break;
    }
  }

  private void writeBinding(String key, NixValue v, NixValue hint, int indent, Mode mode) {
    name(key);
    while (v instanceof Attrs && ((Attrs) v).entries().size() == 1 && shorthand(hint)) {
      Map.Entry<String, NixValue> only = ((Attrs) v).entries().entrySet().iterator().next();
      out.append('.');
      name(only.getKey());
      hint = child(hint instanceof Attrs ? (Attrs) hint : null, only.getKey());
      v = only.getValue();
    }
    out.append(" = ");
    writeValue(v, hint, indent, mode, false);
    out.append(';');
  }

  private static boolean shorthand(NixValue hint) {
    return !(hint instanceof Attrs) || ((Attrs) hint).layout() == Layout.IMPLICIT;
  }

  private static NixValue child(Attrs hint, String key) {
    return hint == null ? null : hint.get(key);
  }

  private void writeList(ListValue l, NixValue hint, int indent, Mode mode) {
    List<NixValue> items = l.items();
    if (items.isEmpty()) {
      out.append("[ ]");
      return;
    }
    ListValue h = hint instanceof ListValue ? (ListValue) hint : null;
    Layout hinted = h == null ? null : h.layout();
    switch (form(l, hint, hinted, mode, false)) {
      case INLINE:
        out.append("[ ");
        for (int i = 0; i < items.size(); i++) {
          writeValue(items.get(i), item(h, i), indent, Mode.INLINE, true);
          out.append(' ');
        }
        out.append(']');
        break;
      case RAW:
        out.append('[');
        for (int i = 0; i < items.size(); i++) {
          writeValue(items.get(i), item(h, i), 0, Mode.RAW, true);
          out.append('\n');
        }
        out.append(']');
        break;
      default:
        out.append("[\n");
        for (int i = 0; i < items.size(); i++) {
          spaces(indent + 2);
          writeValue(items.get(i), item(h, i), indent + 2, Mode.BLOCK, true);
          out.append('\n');
        }
        spaces(indent);
        out.append(']');
        break;
    }
  }

  private static NixValue item(ListValue hint, int i) {
    return hint == null || i >= hint.items().size() ? null : hint.items().get(i);
  }

  /** Whether {@code v} written on one line fits in {@link #WIDTH} from the current column. */
  private boolean fitsInline(NixValue v, NixValue hint) {
    int column = out.length() - (out.lastIndexOf("\n") + 1);
    StringBuilder saved = out;
    out = new StringBuilder();
    try {
      writeValue(v, hint, 0, Mode.INLINE, false);
      return column + out.length() + 1 <= WIDTH;
    } finally {
      out = saved;
    }
  }

  // ---- strings

  private void writeString(Str s, NixValue hint, int indent, Mode mode) {
    StringStyle style = s.style();
    if (hint instanceof Str && ((Str) hint).value().equals(s.value())) {
      style = ((Str) hint).style();
    }
    String v = s.value();
    if (v.indexOf('\0') >= 0) {
      throw new FleetConfigException(
          "a string cannot be written in fleet.nix: it holds a NUL character, which Nix strings"
              + " cannot hold");
    }
    if (style == StringStyle.INDENTED && mode == Mode.BLOCK && indentable(v)) {
      indented(v, indent);
    } else {
      quote(v, out);
    }
  }

  private static void quote(String v, StringBuilder out) {
    if (v.indexOf('\0') >= 0) {
      throw new FleetConfigException(
          "an attribute name cannot be written in fleet.nix: it holds a NUL character, which Nix"
              + " strings cannot hold");
    }
    out.append('"');
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      switch (c) {
        case '\\':
          out.append("\\\\");
          break;
        case '"':
          out.append("\\\"");
          break;
        case '$':
          out.append("\\$");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\t':
          out.append("\\t");
          break;
        case '\r':
          out.append("\\r");
          break;
        default:
          out.append(c);
      }
    }
    out.append('"');
  }

  /**
   * Whether {@code v} can be an indented string whose stripped indentation is exactly ours: it has
   * a line break, some line starts with something other than a space, and its last line (if not
   * empty) is not all spaces (Nix drops such a last line).
   */
  static boolean indentable(String v) {
    int nl = v.lastIndexOf('\n');
    if (nl < 0) {
      return false;
    }
    if (nl < v.length() - 1) {
      boolean allSpaces = true;
      for (int i = nl + 1; i < v.length(); i++) {
        if (v.charAt(i) != ' ') {
          allSpaces = false;
          break;
        }
      }
      if (allSpaces) {
        return false;
      }
    }
    boolean lineStart = true;
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (lineStart && c != ' ' && c != '\n') {
        return true;
      }
      lineStart = c == '\n';
    }
    return false;
  }

  private void indented(String v, int indent) {
    out.append("''\n");
    int n = v.length();
    boolean lineStart = true;
    int i = 0;
    while (i < n) {
      char c = v.charAt(i);
      if (lineStart && c != '\n') {
        spaces(indent + 2);
      }
      lineStart = false;
      int plain = i;
      while (plain < n && !special(v.charAt(plain))) {
        plain++;
      }
      if (plain > i) {
        out.append(v, i, plain);
        i = plain;
        continue;
      }
      char next = i + 1 < n ? v.charAt(i + 1) : 0;
      switch (c) {
        case '\n':
          out.append('\n');
          lineStart = true;
          break;
        case '\'':
          if (i + 1 < n && next == '\'') {
            out.append("'''");
            i++;
          } else if (i + 1 >= n
              || next == '\r'
              || (next == '$' && i + 2 < n && v.charAt(i + 2) == '{')) {
            // A lone quote before the closing '' or before an escape would merge with it.
            out.append("''\\'");
          } else {
            out.append('\'');
          }
          break;
        case '$':
          out.append(next == '{' && i + 1 < n ? "''$" : "$");
          break;
        default: // '\r'
          out.append("''\\r");
          break;
      }
      i++;
    }
    if (lineStart) {
      spaces(indent);
    }
    out.append("''");
  }

  private static boolean special(char c) {
    return c == '\n' || c == '\'' || c == '$' || c == '\r';
  }

  private void name(String key) {
    if (isPlainName(key)) {
      out.append(key);
    } else {
      quote(key, out);
    }
  }

  private void spaces(int n) {
    for (int i = 0; i < n; i++) {
      out.append(' ');
    }
  }
}
