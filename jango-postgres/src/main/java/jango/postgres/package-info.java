package jango.postgres;
