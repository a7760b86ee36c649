// Bootstrap's CSS cut to the classes Meeting Hub's pages use: `make setup` runs PurgeCSS over every template, script
// and Python module at build time (static/vendor is never committed), so a class added anywhere is kept by the next
// build. What no scanned file spells out in full is kept by the safelist below.
module.exports = {
  css: ["node_modules/bootstrap/dist/css/bootstrap.min.css"],
  content: [
    "templates/**/*.html",
    "static/js/**/*.js",
    "meeting_hub/**/*.py",
    // Bootstrap's own JavaScript adds classes (show, fade, collapsing, modal-backdrop, dropdown-menu-end ...) and
    // attributes (data-bs-popper): scanning its source keeps every selector its components rely on.
    "node_modules/bootstrap/dist/js/bootstrap.bundle.js",
  ],
  // CSS custom properties are kept whole: Bootstrap's components read them through var() chains PurgeCSS cannot follow.
  variables: false,
  keyframes: true,
  fontFace: true,
  safelist: {
    standard: ["html", "body", "show", "showing", "hide", "hiding", "fade", "collapsing", "active", "disabled"],
    // Classes that templates build from a value ("text-bg-{{ colour }}", "alert-{{ category }}"): every theme colour;
    // and whole components Bootstrap's JS drives.
    greedy: [
      /^(text-bg|alert|btn|btn-outline|bg|text|border|link|badge|table|list-group-item|link-underline)-(primary|secondary|success|danger|warning|info|light|dark|body|brand)/,
      /^(is|was)-(valid|invalid|validated)/,
      /^modal/,
      /^dropdown/,
      /^navbar/,
      /^collapse/,
    ],
  },
};
