#pragma once
// The subscriber pages of the service platform (docs/platform-api.md, "Pages") and their
// static assets, served from the files embedded by gzca::webassets (or, in dev mode, from the
// directory named by GZCA_WEB_DIR: see webassets/assets.h). Pages are served with their include
// directives expanded (webassets/includes.h): at build time when embedded, per request in dev
// mode, where a bad directive or missing partial answers 500 and logs the reason.
//
//   GET /, /login, /me, /orders, /orders/{order_no}, /apply/{new|renew|reissue|revoke},
//       /uploads, /batch, /guide, /materials, /agreement, /faq, /contact, /downloads, /check,
//       /pay/sandbox/{payment_ref}                → the page's HTML (Cache-Control: no-cache)
//   GET /assets/{path...}                         → web/assets/… (Cache-Control: public,
//                                                   max-age=3600)
//
// Every response carries an ETag (embedded mode) and answers a matching If-None-Match with 304,
// and carries the security headers (Content-Security-Policy without inline script or style,
// X-Content-Type-Options, Referrer-Policy, X-Frame-Options). An asset path holding "..", a
// backslash or a NUL byte, an unknown asset and an unknown /apply type are
// 404 {"code":"not_found"}, as the router answers unknown paths.
//
// Pages hold no data: their scripts fetch the JSON API, so these routes need no services.
//
// Thread-safety: handlers may run on many threads at once.

#include "http/router.h"

namespace gzca::api {

// Registers the routes above. Reads GZCA_WEB_DIR once, now.
void RegisterPageRoutes(http::Router& router);

// The Content-Security-Policy every page response carries.
inline constexpr const char* kPageContentSecurityPolicy =
    "default-src 'self'; img-src 'self' data: blob:; frame-src 'self' blob:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

}  // namespace gzca::api
