//! Geometry of products and pages: relative coordinates, aspect-ratio groups, the core aspect ratio, fitting.
