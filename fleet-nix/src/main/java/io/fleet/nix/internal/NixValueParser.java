package io.fleet.nix.internal;

import io.fleet.api.FleetConfigException;
import io.fleet.nix.internal.NixValue.Attrs;
import io.fleet.nix.internal.NixValue.Layout;
import io.fleet.nix.internal.NixValue.ListValue;
import io.fleet.nix.internal.NixValue.Str;
import io.fleet.nix.internal.NixValue.StringStyle;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the data subset of the Nix language into a {@link NixValue}: attribute sets (with
 * attribute-path shorthand {@code a.b.c = …;} merged with sibling sets the way Nix merges them),
 * quoted attribute names, lists, {@code "…"} strings with escapes, {@code ''…''} strings with Nix's
 * indentation stripping and {@code ''$ ''' ''\} escapes, integers, floats, {@code true}, {@code
 * false}, {@code null}, negation of numbers, parentheses, and {@code #} and {@code /* *}{@code /}
 * comments.
 *
 * <p>Everything else (functions, {@code let}, {@code rec}, {@code with}, {@code inherit}, {@code
 * import}, variables, operators, paths, interpolation {@code ${…}}) is refused with a {@link
 * FleetConfigException} giving the line and column and what was found. The lexical rules (which
 * {@code $} starts an interpolation, how {@code ''} strings are de-indented, where a number ends)
 * follow Nix 2.x, so that this reader and {@code nix-instantiate --eval} agree on every input both
 * accept.
 */
public final class NixValueParser {
  /**
   * Deeper nesting than this is refused while reading, so no input can exhaust the stack and
   * whatever loads can be saved. Every way of nesting counts one level: a set, a list, a pair of
   * parentheses, a negation and each segment of an attribute path ({@code a.b.c = 1;} puts the
   * value three levels below its set); the file's top value is level 1.
   */
  public static final int MAX_DEPTH = 200;

  private final String text;
  private final String source;
  private final int len;
  private int pos;
  private int depth;

  private NixValueParser(String text, String source) {
    this.text = text;
    this.source = source;
    this.len = text.length();
  }

  /**
   * Parses {@code text}, a single Nix value with optional surrounding whitespace and comments.
   *
   * @param source the file name or a description of the text, used in error messages
   * @throws FleetConfigException if the text is not in the supported subset, with its position
   */
  public static NixValue parse(String text, String source) {
    NixValueParser p = new NixValueParser(text, source);
    p.skipWs();
    if (p.pos >= p.len) {
      throw p.error(p.pos, "the text is empty: expected a Nix value such as an attribute set");
    }
    NixValue v = p.parseValue(false);
    p.skipWs();
    if (p.pos < p.len) {
      throw p.error(
          p.pos,
          "found "
              + p.describeAt(p.pos)
              + " after the end of the value; fleet.nix holds exactly one value"
              + operatorHint(p.text.charAt(p.pos)));
    }
    return v;
  }

  /** A {@link FleetConfigException} at {@code offset} of {@code text}. */
  public static FleetConfigException error(String text, String source, int offset, String problem) {
    int line = 1;
    int lineStart = 0;
    int end = Math.min(Math.max(offset, 0), text.length());
    for (int i = 0; i < end; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new FleetConfigException(source, line, end - lineStart + 1, problem);
  }

  private FleetConfigException error(int offset, String problem) {
    return error(text, source, offset, problem);
  }

  // ---- whitespace and comments

  private void skipWs() {
    while (pos < len) {
      char c = text.charAt(pos);
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        pos++;
      } else if (c == '#') {
        while (pos < len && text.charAt(pos) != '\n' && text.charAt(pos) != '\r') {
          pos++;
        }
      } else if (c == '/' && pos + 1 < len && text.charAt(pos + 1) == '*') {
        int end = text.indexOf("*/", pos + 2);
        if (end < 0) {
          throw error(pos, "unterminated comment: `/*` is never closed with `*/`");
        }
        pos = end + 2;
      } else {
        return;
      }
    }
  }

  // ---- values

  private NixValue parseValue(boolean inList) {
    if (++depth > MAX_DEPTH) {
      throw error(pos, "values are nested more than " + MAX_DEPTH + " levels deep");
    }
    try {
      if (pos >= len) {
        throw error(pos, "unexpected end of the text: expected a value");
      }
      char c = text.charAt(pos);
      switch (c) {
        case '{':
          return parseAttrs();
        case '[':
          return parseList();
        case '"':
          {
            int start = pos;
            return new Str(start, parseQuotedString(), StringStyle.QUOTED);
          }
        case '\'':
          if (pos + 1 < len && text.charAt(pos + 1) == '\'') {
            return parseIndented();
          }
          throw error(pos, "found `'`: expected a value");
        case '(':
          {
            int open = pos;
            pos++;
            skipWs();
            NixValue v = parseValue(false);
            skipWs();
            if (pos >= len || text.charAt(pos) != ')') {
              throw error(
                  pos,
                  "expected `)` to close the `(` at "
                      + where(open)
                      + ", found "
                      + describeAt(pos)
                      + operatorHint(pos < len ? text.charAt(pos) : ' '));
            }
            pos++;
            return v;
          }
        case '-':
          if (inList) {
            throw error(
                pos,
                "found `-` in a list: Nix needs a negative number in a list in parentheses, `(-5)`");
          }
          return parseNegation();
        default:
          break;
      }
      if (isDigit(c) || (c == '.' && pos + 1 < len && isDigit(text.charAt(pos + 1)))) {
        return parseNumber();
      }
      if (isIdStart(c)) {
        return parseWord();
      }
      throw error(pos, "found " + describeAt(pos) + ": expected a value" + unsupportedHint(pos));
    } finally {
      depth--;
    }
  }

  private NixValue parseNegation() {
    int start = pos;
    pos++;
    skipWs();
    if (pos >= len) {
      throw error(pos, "unexpected end of the text: expected a number after `-`");
    }
    NixValue v = parseValue(false);
    if (v instanceof NixValue.Int) {
      return new NixValue.Int(start, -((NixValue.Int) v).value());
    }
    if (v instanceof NixValue.Float) {
      return new NixValue.Float(start, 0.0 - ((NixValue.Float) v).value());
    }
    throw error(start, "found `-` before " + v.describe() + ": only numbers can be negated");
  }

  private NixValue parseNumber() {
    int start = pos;
    int p = pos;
    while (p < len && isDigit(text.charAt(p))) {
      p++;
    }
    int intEnd = p;
    int floatEnd = -1;
    char first = text.charAt(start);
    if (first >= '1' && first <= '9' && p < len && text.charAt(p) == '.') {
      // [1-9][0-9]*\.[0-9]*
      p++;
      while (p < len && isDigit(text.charAt(p))) {
        p++;
      }
      floatEnd = p;
    } else if ((first == '.' || (first == '0' && intEnd == start + 1))
        && (first == '.' ? start : start + 1) < len) {
      // 0?\.[0-9]+
      int dot = first == '.' ? start : start + 1;
      if (dot < len && text.charAt(dot) == '.' && dot + 1 < len && isDigit(text.charAt(dot + 1))) {
        p = dot + 1;
        while (p < len && isDigit(text.charAt(p))) {
          p++;
        }
        floatEnd = p;
      }
    }
    if (floatEnd >= 0) {
      // ([Ee][+-]?[0-9]+)?
      int e = floatEnd;
      if (e < len && (text.charAt(e) == 'e' || text.charAt(e) == 'E')) {
        int q = e + 1;
        if (q < len && (text.charAt(q) == '+' || text.charAt(q) == '-')) {
          q++;
        }
        if (q < len && isDigit(text.charAt(q))) {
          while (q < len && isDigit(text.charAt(q))) {
            q++;
          }
          floatEnd = q;
        }
      }
      checkNotPath(floatEnd, start);
      pos = floatEnd;
      String token = text.substring(start, floatEnd);
      double d = Double.parseDouble(token);
      if (Double.isInfinite(d)) {
        throw error(start, "the float " + token + " is out of range");
      }
      return new NixValue.Float(start, d);
    }
    checkNotPath(intEnd, start);
    pos = intEnd;
    String token = text.substring(start, intEnd);
    try {
      return new NixValue.Int(start, Long.parseLong(token));
    } catch (NumberFormatException e) {
      throw error(start, "the integer " + token + " is too large: Nix integers are 64-bit");
    }
  }

  private void checkNotPath(int end, int start) {
    if (end < len && text.charAt(end) == '/' && end + 1 < len && isPathChar(text.charAt(end + 1))) {
      throw error(start, "found a path literal: paths are not supported in fleet.nix");
    }
  }

  private NixValue parseWord() {
    int start = pos;
    String word = lexId();
    if (pos < len && text.charAt(pos) == ':') {
      throw error(
          start,
          "found `"
              + word
              + ":`: functions and URI literals are not supported in fleet.nix, which holds data only");
    }
    if (pos < len && text.charAt(pos) == '/' && pos + 1 < len && isPathChar(text.charAt(pos + 1))) {
      throw error(start, "found a path literal: paths are not supported in fleet.nix");
    }
    switch (word) {
      case "true":
        return new NixValue.Bool(start, true);
      case "false":
        return new NixValue.Bool(start, false);
      case "null":
        return new NixValue.Null(start);
      case "let":
      case "rec":
      case "with":
      case "if":
      case "assert":
      case "inherit":
        throw error(
            start,
            "found `"
                + word
                + "`: "
                + word
                + " is not supported in fleet.nix, which holds data only (attribute sets, lists,"
                + " strings, numbers, booleans, null)");
      case "import":
        throw error(start, "found `import`: imports are not supported in fleet.nix");
      default:
        throw error(
            start,
            "found the identifier `"
                + word
                + "`: variables and function calls are not supported in fleet.nix, which holds data"
                + " only");
    }
  }

  private String lexId() {
    int start = pos;
    pos++;
    while (pos < len && isIdChar(text.charAt(pos))) {
      pos++;
    }
    return text.substring(start, pos);
  }

  // ---- attribute sets

  private Attrs parseAttrs() {
    int start = pos;
    pos++;
    int afterBrace = pos;
    skipWs();
    Attrs attrs = new Attrs(start, null);
    boolean raw = pos == afterBrace && pos < len && text.charAt(pos) != '}';
    while (true) {
      skipWs();
      if (pos >= len) {
        throw error(
            pos,
            "unexpected end of the text: the attribute set opened at "
                + where(start)
                + " is not closed with `}`");
      }
      if (text.charAt(pos) == '}') {
        break;
      }
      parseBinding(attrs, start);
    }
    int close = pos;
    pos++;
    Layout layout;
    if (raw) {
      layout = Layout.RAW;
    } else if (!hasNewline(start, close)) {
      layout = Layout.INLINE;
    } else {
      layout = Layout.BLOCK;
    }
    attrs.layout(layout);
    return attrs;
  }

  private void parseBinding(Attrs attrs, int setStart) {
    List<String> path = new ArrayList<>(2);
    List<Integer> offsets = new ArrayList<>(2);
    while (true) {
      // The value is one level below its set per segment: the first is counted by parseValue.
      if (depth + path.size() + 1 > MAX_DEPTH) {
        throw error(
            pos,
            "values are nested more than "
                + MAX_DEPTH
                + " levels deep (this attribute path has "
                + (path.size() + 1)
                + " segments in a set at level "
                + depth
                + ")");
      }
      offsets.add(pos);
      path.add(parseAttrName(setStart));
      skipWs();
      if (pos < len && text.charAt(pos) == '.') {
        pos++;
        skipWs();
        continue;
      }
      break;
    }
    if (pos >= len || text.charAt(pos) != '=') {
      String found = describeAt(pos);
      String hint = "";
      if (pos < len && (text.charAt(pos) == ',' || text.charAt(pos) == '?')) {
        hint = "; function arguments are not supported in fleet.nix";
      } else if (pos < len && text.charAt(pos) == ';') {
        hint = "; every attribute needs a value";
      }
      throw error(
          pos,
          "expected `=` after the attribute name `"
              + String.join(".", path)
              + "`, found "
              + found
              + hint);
    }
    pos++;
    skipWs();
    int setDepth = depth;
    depth += path.size() - 1;
    NixValue value;
    try {
      value = parseValue(false);
    } finally {
      depth = setDepth;
    }
    skipWs();
    if (pos >= len || text.charAt(pos) != ';') {
      throw error(
          pos,
          "expected `;` after the value of `"
              + String.join(".", path)
              + "`, found "
              + describeAt(pos)
              + operatorHint(pos < len ? text.charAt(pos) : ' '));
    }
    pos++;
    insert(attrs, path, offsets, value);
  }

  /** Adds a binding the way Nix does, merging attribute paths with sibling sets. */
  private void insert(Attrs attrs, List<String> path, List<Integer> offsets, NixValue value) {
    Attrs cur = attrs;
    int n = path.size();
    for (int i = 0; i < n - 1; i++) {
      String k = path.get(i);
      NixValue existing = cur.get(k);
      if (existing == null) {
        Attrs child = new Attrs(offsets.get(i), Layout.IMPLICIT);
        cur.putRead(k, offsets.get(i), child);
        cur = child;
      } else if (existing instanceof Attrs) {
        cur = (Attrs) existing;
      } else {
        throw duplicate(path.subList(0, i + 1), offsets.get(i), cur.keyOffset(k));
      }
    }
    String last = path.get(n - 1);
    NixValue existing = cur.get(last);
    if (existing == null) {
      cur.putRead(last, offsets.get(n - 1), value);
    } else if (existing instanceof Attrs && value instanceof Attrs) {
      // Nix merges two attribute sets given for the same name, one level deep.
      Attrs into = (Attrs) existing;
      Attrs from = (Attrs) value;
      for (var e : from.entries().entrySet()) {
        if (into.get(e.getKey()) != null) {
          List<String> full = new ArrayList<>(path);
          full.add(e.getKey());
          throw duplicate(full, from.keyOffset(e.getKey()), into.keyOffset(e.getKey()));
        }
        into.putRead(e.getKey(), from.keyOffset(e.getKey()), e.getValue());
      }
      if (into.layout() == Layout.IMPLICIT) {
        into.layout(from.layout());
      }
    } else {
      throw duplicate(path, offsets.get(n - 1), cur.keyOffset(last));
    }
  }

  private FleetConfigException duplicate(List<String> path, int offset, int firstOffset) {
    StringBuilder name = new StringBuilder();
    for (String p : path) {
      if (name.length() > 0) {
        name.append('.');
      }
      name.append(NixValueWriter.attrName(p));
    }
    return error(
        offset,
        "duplicate attribute `"
            + name
            + "`: it is already defined at "
            + where(firstOffset)
            + "; remove one of the two definitions");
  }

  private String parseAttrName(int setStart) {
    if (pos >= len) {
      throw error(
          pos,
          "unexpected end of the text: the attribute set opened at "
              + where(setStart)
              + " is not closed with `}`");
    }
    char c = text.charAt(pos);
    if (isIdStart(c)) {
      int start = pos;
      String id = lexId();
      switch (id) {
        case "let":
        case "rec":
        case "with":
        case "if":
        case "then":
        case "else":
        case "assert":
        case "inherit":
        case "in":
          throw error(
              start,
              "found the keyword `"
                  + id
                  + "` where an attribute name was expected; "
                  + id
                  + " is not supported in fleet.nix (quote the name, \""
                  + id
                  + "\", if it is an attribute)");
        default:
          return id;
      }
    }
    if (c == '"') {
      return parseQuotedString();
    }
    if (c == '$' && pos + 1 < len && text.charAt(pos + 1) == '{') {
      throw error(pos, "found `${`: dynamic attribute names are not supported in fleet.nix");
    }
    throw error(pos, "expected an attribute name, found " + describeAt(pos));
  }

  // ---- lists

  private ListValue parseList() {
    int start = pos;
    pos++;
    int after = pos;
    skipWs();
    boolean raw = pos == after && pos < len && text.charAt(pos) != ']';
    List<NixValue> items = new ArrayList<>();
    while (true) {
      skipWs();
      if (pos >= len) {
        throw error(
            pos,
            "unexpected end of the text: the list opened at "
                + where(start)
                + " is not closed with `]`");
      }
      if (text.charAt(pos) == ']') {
        break;
      }
      if (text.charAt(pos) == ';' || text.charAt(pos) == '}' || text.charAt(pos) == ',') {
        throw error(
            pos,
            "found "
                + describeAt(pos)
                + " in the list opened at "
                + where(start)
                + ": list items are separated by spaces and the list ends with `]`");
      }
      items.add(parseValue(true));
    }
    int close = pos;
    pos++;
    Layout layout;
    if (raw) {
      layout = Layout.RAW;
    } else {
      layout = hasNewline(start, close) ? Layout.BLOCK : Layout.INLINE;
    }
    ListValue list = new ListValue(start, layout);
    list.items().addAll(items);
    return list;
  }

  // ---- strings

  private String parseQuotedString() {
    int start = pos;
    pos++;
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= len) {
        throw unterminated(start);
      }
      char c = text.charAt(pos);
      if (c == '"') {
        pos++;
        return sb.toString();
      }
      if (c == '\\') {
        if (pos + 1 >= len) {
          throw unterminated(start);
        }
        sb.append(unescape(text.charAt(pos + 1)));
        pos += 2;
        continue;
      }
      if (c == '$') {
        if (pos + 1 >= len) {
          throw unterminated(start);
        }
        char d = text.charAt(pos + 1);
        if (d == '{') {
          throw error(
              pos,
              "found `${` in a string: interpolation is not supported in fleet.nix (write `\\${`"
                  + " for a literal `${`)");
        }
        sb.append('$');
        if (d == '"' || d == '\\') {
          pos++;
          continue;
        }
        // `$` and the next character are one piece in Nix's lexer, so `$${` is literal text.
        pos++;
        c = d;
      }
      if (c == '\r') {
        // Nix normalises CR and CR LF in "…" strings to LF.
        sb.append('\n');
        pos++;
        if (pos < len && text.charAt(pos) == '\n') {
          pos++;
        }
        continue;
      }
      if (c == 0) {
        throw error(pos, "found a NUL character in a string; Nix strings cannot hold NUL");
      }
      sb.append(c);
      pos++;
    }
  }

  private FleetConfigException unterminated(int start) {
    return error(
        len,
        "unexpected end of the text inside the string that starts at "
            + where(start)
            + ": it is not closed");
  }

  private static char unescape(char c) {
    switch (c) {
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      default:
        return c;
    }
  }

  /** One lexical piece of an indented string; {@code raw} pieces take part in indentation. */
  private static final class Piece {
    final String text;
    final boolean raw;

    Piece(String text, boolean raw) {
      this.text = text;
      this.raw = raw;
    }
  }

  private Str parseIndented() {
    int start = pos;
    pos += 2;
    int p = pos;
    while (p < len && text.charAt(p) == ' ') {
      p++;
    }
    if (p < len && text.charAt(p) == '\n') {
      pos = p + 1;
    }
    List<Piece> pieces = new ArrayList<>();
    while (true) {
      if (pos >= len) {
        throw unterminated(start);
      }
      char c = text.charAt(pos);
      char next = pos + 1 < len ? text.charAt(pos + 1) : 0;
      boolean hasNext = pos + 1 < len;
      if (c == '\'' && hasNext && next == '\'') {
        char third = pos + 2 < len ? text.charAt(pos + 2) : 0;
        boolean hasThird = pos + 2 < len;
        if (hasThird && third == '$') {
          pieces.add(new Piece("$", false));
          pos += 3;
        } else if (hasThird && third == '\'') {
          pieces.add(new Piece("''", false));
          pos += 3;
        } else if (hasThird && third == '\\') {
          if (pos + 3 >= len) {
            throw unterminated(start);
          }
          pieces.add(new Piece(String.valueOf(unescape(text.charAt(pos + 3))), false));
          pos += 4;
        } else {
          pos += 2;
          break;
        }
      } else if (c == '\'' && (!hasNext || next == '$')) {
        pieces.add(new Piece("'", false));
        pos++;
      } else if (c == '$' && hasNext && next == '{') {
        throw error(
            pos,
            "found `${` in an indented string: interpolation is not supported in fleet.nix (write"
                + " `''${` for a literal `${`)");
      } else if (c == '$' && (!hasNext || next == '\'')) {
        pieces.add(new Piece("$", false));
        pos++;
      } else {
        int runStart = pos;
        while (pos < len) {
          char d = text.charAt(pos);
          if (d == '$' || d == '\'') {
            if (pos + 1 >= len) {
              break;
            }
            char e = text.charAt(pos + 1);
            if (d == '$' ? (e == '{' || e == '\'') : (e == '\'' || e == '$')) {
              break;
            }
            pos += 2;
          } else {
            if (d == 0) {
              throw error(pos, "found a NUL character in a string; Nix strings cannot hold NUL");
            }
            pos++;
          }
        }
        pieces.add(new Piece(text.substring(runStart, pos), true));
      }
    }
    return new Str(start, stripIndentation(pieces), StringStyle.INDENTED);
  }

  /** Nix's indentation stripping of {@code ''…''} strings. */
  private static String stripIndentation(List<Piece> pieces) {
    int minIndent = Integer.MAX_VALUE;
    int curIndent = 0;
    boolean atStart = true;
    for (Piece piece : pieces) {
      if (!piece.raw) {
        if (atStart) {
          atStart = false;
          minIndent = Math.min(minIndent, curIndent);
        }
        continue;
      }
      String s = piece.text;
      int j = 0;
      while (j < s.length()) {
        if (atStart) {
          char c = s.charAt(j++);
          if (c == ' ') {
            curIndent++;
          } else if (c == '\n') {
            curIndent = 0;
          } else {
            atStart = false;
            minIndent = Math.min(minIndent, curIndent);
          }
        } else {
          int nl = s.indexOf('\n', j);
          if (nl < 0) {
            break;
          }
          j = nl + 1;
          atStart = true;
          curIndent = 0;
        }
      }
    }
    StringBuilder out = new StringBuilder();
    atStart = true;
    int curDropped = 0;
    for (int i = 0; i < pieces.size(); i++) {
      String s = pieces.get(i).text;
      int pieceStart = out.length();
      int j = 0;
      while (j < s.length()) {
        char c = s.charAt(j);
        if (atStart) {
          if (c == ' ') {
            if (curDropped++ >= minIndent) {
              out.append(c);
            }
          } else if (c == '\n') {
            curDropped = 0;
            out.append(c);
          } else {
            atStart = false;
            curDropped = 0;
            out.append(c);
          }
          j++;
        } else {
          // The rest of the line is copied as it is.
          int nl = s.indexOf('\n', j);
          int end = nl < 0 ? s.length() : nl + 1;
          out.append(s, j, end);
          j = end;
          if (nl >= 0) {
            atStart = true;
          }
        }
      }
      if (i == pieces.size() - 1) {
        // Drop the last line if it is only spaces.
        int nl = out.lastIndexOf("\n");
        if (nl >= pieceStart) {
          boolean spaces = true;
          for (int k = nl + 1; k < out.length(); k++) {
            if (out.charAt(k) != ' ') {
              spaces = false;
              break;
            }
          }
          if (spaces) {
            out.setLength(nl + 1);
          }
        }
      }
    }
    return out.toString();
  }

  // ---- helpers

  private boolean hasNewline(int from, int to) {
    for (int i = from; i < to; i++) {
      if (text.charAt(i) == '\n') {
        return true;
      }
    }
    return false;
  }

  private String where(int offset) {
    FleetConfigException e = error(offset, "");
    return "line " + e.line() + ", column " + e.column();
  }

  private String describeAt(int p) {
    if (p >= len) {
      return "the end of the text";
    }
    char c = text.charAt(p);
    if (isIdStart(c)) {
      int e = p + 1;
      while (e < len && isIdChar(text.charAt(e)) && e - p < 40) {
        e++;
      }
      return "`" + text.substring(p, e) + "`";
    }
    if (c == '$' && p + 1 < len && text.charAt(p + 1) == '{') {
      return "`${`";
    }
    if (c < 0x20 || c == 0x7f) {
      return String.format("the control character U+%04X", (int) c);
    }
    if (Character.isSurrogate(c) && p + 1 < len) {
      return "`" + text.substring(p, p + 2) + "`";
    }
    return "`" + c + "`";
  }

  private String unsupportedHint(int p) {
    char c = text.charAt(p);
    if (c == '$' && p + 1 < len && text.charAt(p + 1) == '{') {
      return "; interpolation is not supported in fleet.nix";
    }
    if (c == '<') {
      return "; search paths such as <nixpkgs> are not supported in fleet.nix";
    }
    if (c == '.' || c == '~' || c == '/') {
      return "; paths are not supported in fleet.nix";
    }
    return "";
  }

  private static String operatorHint(char c) {
    switch (c) {
      case '+':
      case '-':
      case '*':
      case '/':
      case '&':
      case '|':
      case '!':
      case '<':
      case '>':
      case '=':
      case '?':
      case '.':
        return "; operators, selections and function calls are not supported in fleet.nix";
      case ':':
      case '@':
        return "; functions are not supported in fleet.nix";
      default:
        return "";
    }
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }

  private static boolean isIdStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  private static boolean isIdChar(char c) {
    return isIdStart(c) || isDigit(c) || c == '\'' || c == '-';
  }

  private static boolean isPathChar(char c) {
    return isIdStart(c) || isDigit(c) || c == '.' || c == '-' || c == '+';
  }
}
