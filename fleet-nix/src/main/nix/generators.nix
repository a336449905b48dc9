# Secret generators, as values the Java library understands: { _type = "fleet-generator"; kind;
# parameters; runOn; }. Kinds match io.fleet.api.Generators. Every constructor accepts `impureOn`,
# the host the generator must run on (the original fleet's name for it).
let
  mkGenerator = kind: parameters: impureOn: {
    _type = "fleet-generator";
    inherit kind parameters;
    runOn = impureOn;
  };
  days = n: n * 86400;
in
{
  inherit mkGenerator;

  mkPassword =
    {
      length ? 32,
      alphabet ? null,
      impureOn ? null,
    }:
    mkGenerator "password" ({ inherit length; } // (if alphabet == null then { } else { inherit alphabet; })) impureOn;

  mkRandomBytes =
    {
      length ? 32,
      impureOn ? null,
    }:
    mkGenerator "random-bytes" { inherit length; } impureOn;

  mkEd25519 =
    {
      impureOn ? null,
    }:
    mkGenerator "ed25519" { } impureOn;

  mkRsa =
    {
      bits ? 4096,
      impureOn ? null,
    }:
    mkGenerator "rsa" { inherit bits; } impureOn;

  mkWireguard =
    {
      impureOn ? null,
    }:
    mkGenerator "wireguard" { } impureOn;

  mkX509Ca =
    {
      commonName,
      validitySeconds ? days 3650,
      impureOn ? null,
    }:
    mkGenerator "x509-ca" { inherit commonName validitySeconds; } impureOn;

  mkX509Leaf =
    {
      ca,
      commonName,
      sans ? [ ],
      validitySeconds ? days 365,
      impureOn ? null,
    }:
    mkGenerator "x509-leaf" { inherit ca commonName sans validitySeconds; } impureOn;

  # A shell script run with $out set to an empty directory; each file it leaves there is a part.
  mkSecretGenerator =
    {
      script,
      impureOn ? null,
    }:
    mkGenerator "script" { inherit script; } impureOn;

  # The seed's positional form: mkImpureSecretGenerator script impureOn.
  mkImpureSecretGenerator = script: impureOn: mkGenerator "script" { inherit script; } impureOn;
}
