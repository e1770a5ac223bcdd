import "reflect-metadata"
