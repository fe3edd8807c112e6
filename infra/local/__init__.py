"""The local stack: moto server as the embedded AWS, and the real handlers driven the way AWS drives them."""
