// @ts-check
'use strict';
// Percent-encoding of a case's parameters, which the case holds already in their OpenAPI style
// (deepObject "filter[color]", matrix ";id=5", ...). Path values keep the RFC 3986 sub-delimiters, ":" and
// "@", so ";name=a,b" and ".a.b" stay as the style writes them; query names and values are encoded except
// the delimiters the styles use ("," "|" "[" "]"), as the OpenAPI style examples write them.
// The generator builds the Postman collection's URLs with these same two functions.

/** @param {string | number | boolean} value */
function encodePathValue(value) {
  return encodeURIComponent(String(value)).replace(/%(21|24|26|27|28|29|2A|2B|2C|3B|3D|3A|40)/gi, (m) => decodeURIComponent(m));
}

/** @param {string | number | boolean} value */
function encodeQueryComponent(value) {
  return encodeURIComponent(String(value)).replace(/%(2C|7C|5B|5D)/gi, (m) => decodeURIComponent(m));
}

module.exports = { encodePathValue, encodeQueryComponent };
