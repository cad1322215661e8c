/**
 * The docker reference grammar, as distribution/reference (reference.go, regexp.go) defines it:
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | "[" IPv6address "]"
 *   domain-name      := domain-component ['.' domain-component]*
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   port-number      := /[0-9]+/
 *   remote-name      := path-component ['/' path-component]*
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *
 * Digests are checked by digest/parseDigest (image-spec descriptor.md), which is stricter than the reference
 * grammar: only the registered sha256/sha512 algorithms are accepted.
 */
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
// regexp.go: IPv6 is matched loosely (hex digits and colons in brackets); the registry host decides the rest.
const ipv6Address = '\\[[a-fA-F0-9:]+\\]';
const optionalPort = '(?::[0-9]+)?';
// One period, one or two underscores, or any number of dashes: "a..b", "a___b" and "a.-b" are invalid.
const separator = '(?:[._]|__|-+)';
const pathComponent = `[a-z0-9]+(?:${separator}[a-z0-9]+)*`;

export const DOMAIN_PATTERN = new RegExp(`^(?:${domainName}|${ipv6Address})${optionalPort}$`);
export const PATH_COMPONENT_PATTERN = new RegExp(`^${pathComponent}$`);
export const TAG_PATTERN = /^\w[\w.-]{0,127}$/;
/** distribution/reference refuses a 64-hex name: it would be confused with an image ID. */
export const IMAGE_ID_PATTERN = /^[a-f0-9]{64}$/;

/** reference.go NameTotalLengthMax: the whole name, domain included, after normalization. */
export const NAME_TOTAL_LENGTH_MAX = 255;

/** normalize.go: the registry that short names live on, the legacy alias for it, and its official namespace. */
export const DEFAULT_DOMAIN = 'docker.io';
export const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
export const OFFICIAL_REPOSITORY_PREFIX = 'library/';
export const DEFAULT_TAG = 'latest';

/**
 * image-spec annotations.md, `org.opencontainers.image.ref.name` (the REF of `oci:DIR:REF`):
 *   ref := component ("/" component)*; component := alphanum (separator alphanum)*;
 *   alphanum := [A-Za-z0-9]+; separator := [-._:@+] | "--"
 */
const ociComponent = '[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*';
export const OCI_REF_NAME_PATTERN = new RegExp(`^${ociComponent}(?:/${ociComponent})*$`);
