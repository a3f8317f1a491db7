// PaddleServing
