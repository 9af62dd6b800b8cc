"""MNIST and Fashion-MNIST: IDX files in, validated arrays, a CNN and a scikit-learn baseline out."""
